import * as blessed from 'blessed';
import type { Widgets } from 'blessed';
import { GLOBAL_KEYS, KeyEvent, QUIT_ALWAYS, SCREEN_KEYS } from '../keymap';
import type { Overlay, ViewContext } from './view';

/** `?`: every key, from the keymap itself. Any key closes it. */
export class HelpView implements Overlay {
  onClose?: () => void;
  private readonly box: Widgets.BoxElement;

  constructor(private readonly ctx: ViewContext) {
    const row = (label: string, description: string) =>
      `  {bold}${label.padEnd(14)}{/bold} ${description}`;
    const lines = [
      '{bold}Every screen{/bold}',
      ...GLOBAL_KEYS.map((k) => row(k.label, k.description)),
    ];
    lines.push(row(QUIT_ALWAYS, 'quit, always (also inside forms)'));
    for (const [screen, keys] of Object.entries(SCREEN_KEYS)) {
      lines.push('', `{bold}${screen}{/bold}`, ...keys.map((k) => row(k.label, k.description)));
    }
    lines.push('', '{gray-fg}any key closes this help{/gray-fg}');
    this.box = blessed.box({
      parent: ctx.screen,
      top: 'center',
      left: 'center',
      width: Math.min(76, (ctx.screen.width as number) - 2),
      height: Math.min(lines.length + 2, (ctx.screen.height as number) - 2),
      border: { type: 'line' },
      label: ' Help: keys ',
      tags: true,
      scrollable: true,
      content: lines.join('\n'),
    });
    ctx.render.request();
  }

  handleKey(_ch: string | undefined, key: KeyEvent): boolean {
    if (key.full === 'down' || key.full === 'up') {
      this.box.scroll(key.full === 'down' ? 1 : -1);
      this.ctx.render.request();
      return true;
    }
    this.destroy();
    this.onClose?.();
    return true;
  }

  destroy(): void {
    if (this.box.detached) return;
    this.box.destroy();
    this.ctx.render.request();
  }
}
