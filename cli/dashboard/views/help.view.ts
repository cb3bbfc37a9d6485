import * as blessed from 'blessed';
import type { Widgets } from 'blessed';
import { wrap } from '../format';
import { GLOBAL_KEYS, KeyEvent, QUIT_ALWAYS, SCREEN_KEYS } from '../keymap';
import type { Overlay, ViewContext } from './view';

/** `?`: every key, from the keymap itself; it scrolls when the terminal is short. Other keys close it. */
export class HelpView implements Overlay {
  onClose?: () => void;
  private readonly box: Widgets.BoxElement;
  private readonly lines: string[];
  private top = 0;

  constructor(private readonly ctx: ViewContext) {
    const width = Math.min(76, (ctx.screen.width as number) - 2);
    // Wrapped here, so that the lines counted for scrolling are the lines shown.
    const row = (label: string, description: string) =>
      wrap(description, Math.max(10, width - 20)).map((part, i) =>
        i === 0 ? `  {bold}${label.padEnd(14)}{/bold} ${part}` : `${' '.repeat(17)}${part}`,
      );
    const lines = [
      '{bold}Every screen{/bold}',
      ...GLOBAL_KEYS.flatMap((k) => row(k.label, k.description)),
    ];
    lines.push(...row(QUIT_ALWAYS, 'quit, always (also inside forms)'));
    for (const [screen, keys] of Object.entries(SCREEN_KEYS)) {
      lines.push('', `{bold}${screen}{/bold}`, ...keys.flatMap((k) => row(k.label, k.description)));
    }
    lines.push('', '{gray-fg}↑ ↓ PgUp PgDn scroll; any other key closes this help{/gray-fg}');
    this.lines = lines;
    this.box = blessed.box({
      parent: ctx.screen,
      top: 'center',
      left: 'center',
      width,
      height: Math.min(lines.length + 2, (ctx.screen.height as number) - 2),
      border: { type: 'line' },
      tags: true,
      wrap: false,
    });
    this.draw();
  }

  /** The lines in view, and in the label where they are when not all fit. */
  private draw(): void {
    const height = Math.max(1, (this.box.height as number) - 2);
    this.top = Math.max(0, Math.min(this.top, this.lines.length - height));
    const shown = this.lines.slice(this.top, this.top + height);
    const where =
      this.lines.length > height
        ? ` lines ${this.top + 1}-${this.top + shown.length} of ${this.lines.length}, ↑ ↓ PgUp PgDn `
        : ' ';
    this.box.setLabel(` Help: keys ·${where}`);
    this.box.setContent(shown.join('\n'));
    this.ctx.render.request();
  }

  handleKey(_ch: string | undefined, key: KeyEvent): boolean {
    const page = Math.max(1, (this.box.height as number) - 3);
    const deltas: Record<string, number> = {
      down: 1,
      up: -1,
      pagedown: page,
      pageup: -page,
      home: -this.lines.length,
      end: this.lines.length,
    };
    const delta = deltas[key.full];
    if (delta !== undefined) {
      this.top += delta;
      this.draw();
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
