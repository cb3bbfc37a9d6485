import type { Widgets } from 'blessed';
import type { Prompt } from '#src/client/index';
import { age, colour, esc, expiry, fit, labelledFields, shortId } from '../format';
import type { KeyEvent } from '../keymap';
import { InboxPane, Layout } from '../layouts';
import { DashboardState, openPrompts } from '../store';
import { PromptFormView } from './prompt-form.view';
import { Cursor, innerHeight, innerWidth, pane, StoreView, ViewContext } from './view';

/** Inbox (2): open prompts across jobs, oldest first, with age and expiry; enter answers. */
export class InboxView extends StoreView {
  private readonly list: Widgets.BoxElement;
  private readonly detail: Widgets.BoxElement;
  private readonly cursor = new Cursor();
  private rows: Prompt[] = [];
  /** The selection lives in the store, so it is kept while other screens are shown. */
  private get selectedId(): string | null {
    return this.ctx.store.state.selectedPromptId;
  }
  private set selectedId(promptId: string | null) {
    this.ctx.store.dispatch({ type: 'select.prompt', promptId });
  }

  constructor(ctx: ViewContext, parent: Widgets.Node, layout: Layout<InboxPane>) {
    super(ctx);
    this.list = pane(parent, 'Inbox', layout.panes.list);
    this.detail = pane(parent, 'Prompt', layout.panes.detail);
    this.disposers.push(() => {
      this.list.destroy();
      this.detail.destroy();
    });
    this.start();
  }

  handleKey(_ch: string | undefined, key: KeyEvent): boolean {
    this.refreshRows(this.ctx.store.state);
    if (key.full === 'enter') {
      const prompt = this.rows[this.cursor.index];
      if (prompt) this.ctx.openOverlay(new PromptFormView(this.ctx, prompt));
      return true;
    }
    const moved = this.cursor.navigate(key, this.rows.length, innerHeight(this.list) - 1);
    if (moved === 'moved') {
      this.selectedId = this.rows[this.cursor.index]?.id ?? null;
      this.invalidate();
    }
    return moved !== false;
  }

  private refreshRows(state: DashboardState): void {
    this.rows = openPrompts(state);
    const at = this.rows.findIndex((p) => p.id === this.selectedId);
    if (at >= 0) this.cursor.index = at;
    this.cursor.index = Math.max(0, Math.min(this.cursor.index, this.rows.length - 1));
    this.selectedId = this.rows[this.cursor.index]?.id ?? null;
  }

  protected sync(state: DashboardState): void {
    this.refreshRows(state);
    const width = innerWidth(this.list);
    const height = innerHeight(this.list) - 1;
    const now = Date.now();
    const title = Math.max(8, width - 8 - 14 - 9 - 5 - 10 - 5);
    const lines = [
      `{bold}${[fit('JOB', 8), fit('KIND', 14), fit('TITLE', title), fit('AGE', 5), fit('EXPIRES', 10)].join(' ')}{/bold}`,
    ];
    const top = this.cursor.window(this.rows.length, height);
    this.rows.slice(top, top + height).forEach((p, i) => {
      const expires = expiry(p.expiresAt, now);
      const line = [
        esc(fit(shortId(p.jobId), 8)),
        colour('yellow', esc(fit(p.kind, 14))),
        esc(fit(p.title, title)),
        fit(age(p.createdAt, now), 5),
        fit(expires, 10),
      ].join(' ');
      lines.push(top + i === this.cursor.index ? `{inverse}${line}{/inverse}` : line);
    });
    if (this.rows.length === 0) lines.push('(no open prompts)');
    this.list.setLabel(` Inbox (${this.rows.length} open) `);
    this.list.setContent(lines.join('\n'));
    this.drawDetail(this.rows[this.cursor.index]);
  }

  private drawDetail(prompt: Prompt | undefined): void {
    if (!prompt) {
      this.detail.setContent('');
      return;
    }
    const width = innerWidth(this.detail);
    const lines = [
      `{bold}${esc(prompt.title)}{/bold}`,
      `kind ${prompt.kind} · job ${prompt.jobId} · on timeout: ${prompt.timeoutAction}`,
      ...(prompt.body ? ['', ...esc(prompt.body).split('\n')] : []),
      '',
      ...labelledFields(prompt.payload, width),
    ];
    this.detail.setLabel(` ${prompt.kind} · enter to answer `);
    this.detail.setContent(lines.slice(0, innerHeight(this.detail)).join('\n'));
  }
}
