import * as blessed from 'blessed';
import type { Widgets } from 'blessed';
import { esc } from '../format';
import type { KeyEvent } from '../keymap';
import type { Overlay, ViewContext } from './view';

/** A yes/no question: `y` runs `onYes`, `n` or escape closes. */
export class ConfirmView implements Overlay {
  onClose?: () => void;
  private readonly box: Widgets.BoxElement;

  constructor(
    private readonly ctx: ViewContext,
    title: string,
    question: string,
    private readonly onYes: () => void,
  ) {
    this.box = blessed.box({
      parent: ctx.screen,
      top: 'center',
      left: 'center',
      width: Math.min(70, (ctx.screen.width as number) - 4),
      height: 7,
      border: { type: 'line' },
      label: ` ${title} `,
      tags: true,
      style: { border: { fg: 'yellow' } },
      content: `${esc(question)}\n\n{bold}y{/bold} yes   {bold}n{/bold} / escape no`,
    });
    ctx.render.request();
  }

  handleKey(ch: string | undefined, key: KeyEvent): boolean {
    if (ch === 'y' || ch === 'Y') {
      this.close();
      this.onYes();
    } else if (ch === 'n' || ch === 'N' || key.full === 'escape') this.close();
    return true;
  }

  private close(): void {
    this.destroy();
    this.onClose?.();
  }

  destroy(): void {
    if (this.box.detached) return;
    this.box.destroy();
    this.ctx.render.request();
  }
}
