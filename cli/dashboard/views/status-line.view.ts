import * as blessed from 'blessed';
import type { Widgets } from 'blessed';
import { colour, esc, fit } from '../format';
import { ScreenName, SCREEN_ORDER } from '../layouts';
import type { DashboardState } from '../store';
import { StoreView, ViewContext } from './view';

const LINK_COLOURS = {
  connected: 'green',
  connecting: 'yellow',
  reconnecting: 'yellow',
  offline: 'red',
};

/** The header (screen names, the current one marked) and the status line (server, user, link, prompts, error). */
export class StatusLineView extends StoreView {
  private readonly header: Widgets.BoxElement;
  private readonly status: Widgets.BoxElement;

  constructor(
    ctx: ViewContext,
    private readonly current: () => { screen: ScreenName; keys: string[] },
  ) {
    super(ctx);
    this.header = blessed.box({
      parent: ctx.screen,
      wrap: false,
      top: 0,
      left: 0,
      width: '100%',
      height: 1,
      tags: true,
    });
    this.status = blessed.box({
      parent: ctx.screen,
      wrap: false,
      bottom: 0,
      left: 0,
      width: '100%',
      height: 2,
      tags: true,
    });
    this.disposers.push(() => {
      this.header.destroy();
      this.status.destroy();
    });
    this.start();
  }

  private notice: string | null = null;

  /** The screen changed. */
  refresh(): void {
    this.invalidate();
  }

  /** What just happened, shown until the next notice. */
  flash(message: string): void {
    this.notice = message;
    this.invalidate();
  }

  handleKey(): boolean {
    return false;
  }

  protected sync(state: DashboardState): void {
    const { screen, keys } = this.current();
    // The job detail belongs to Jobs.
    const marked = screen === 'Job' ? 'Jobs' : screen;
    const screens = SCREEN_ORDER.map(({ name, key }) =>
      name === marked ? `{inverse} ${key} ${name} {/inverse}` : ` ${key} ${name} `,
    ).join('');
    const used =
      'Skill Fleet '.length + SCREEN_ORDER.reduce((n, s) => n + s.name.length + 4, 0) + 2;
    const room = (this.ctx.screen.width as number) - used;
    this.header.setContent(
      `{bold}Skill Fleet{/bold} ${screens}  {gray-fg}${esc(fit(keys.join(' · '), room).trimEnd())}{/gray-fg}`,
    );
    const c = state.connection;
    const link = c.state === 'reconnecting' ? `reconnecting (attempt ${c.attempt})` : c.state;
    const prompts = Object.keys(state.prompts).length;
    const parts = [
      esc(c.url),
      `user ${esc(c.user ?? '?')}`,
      colour(LINK_COLOURS[c.state], link),
      `${prompts} open prompt${prompts === 1 ? '' : 's'}`,
    ];
    const second: string[] = [];
    if (c.lastError) second.push(colour('red', `last error: ${esc(c.lastError)}`));
    if (this.notice) second.push(esc(this.notice));
    this.status.setContent(`${parts.join(' │ ')}\n${second.join(' │ ')}`);
  }
}
