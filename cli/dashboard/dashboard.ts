import * as blessed from 'blessed';
import type { Widgets } from 'blessed';
import type { Commands } from './connection';
import { describeError } from './connection';
import { shortId } from './format';
import {
  GLOBAL_KEYS,
  GlobalAction,
  jobKeyApplies,
  KeyEvent,
  keyHints,
  matches,
  QUIT_ALWAYS,
} from './keymap';
import { Layout, LAYOUTS, layoutFor, ScreenName } from './layouts';
import { RenderScheduler } from './render-scheduler';
import { Store } from './store';
import { ConfirmView } from './views/confirm.view';
import { HelpView } from './views/help.view';
import { InboxView } from './views/inbox.view';
import { JobDetailView } from './views/job-detail.view';
import { JobsView } from './views/jobs.view';
import { NewJobView } from './views/new-job.view';
import { SkillsView } from './views/skills.view';
import { StatusLineView } from './views/status-line.view';
import type { Overlay, View, ViewContext } from './views/view';

export interface DashboardOptions {
  screen: Widgets.Screen;
  store: Store;
  commands: Commands;
  /** Called once when the person quits (q, Ctrl-C). */
  onQuit: () => void;
  /** Coalescing window for renders (default 30 ms). */
  frameMs?: number;
}

/**
 * The dashboard: a header, one screen's view, the status line, and at most one overlay. Keys go to
 * Ctrl-C first, then the overlay (which takes them all), then the screen's view, then the global keymap.
 */
export class Dashboard {
  readonly render: RenderScheduler;
  private readonly ctx: ViewContext;
  private readonly body: Widgets.BoxElement;
  private readonly statusLine: StatusLineView;
  private screenName: ScreenName = 'Jobs';
  private view: View | undefined;
  private overlay: Overlay | undefined;
  /** Which layout of each screen the width picked; a change rebuilds the screen. */
  private layoutKey = '';
  private quit = false;
  private readonly onKeypress = (ch: string | undefined, key: KeyEvent) => this.handleKey(ch, key);
  private readonly onResize = () => {
    // A layout change (narrow ↔ wide) rebuilds the screen; otherwise views redraw themselves.
    if (this.layoutSignature() !== this.layoutKey) this.show(this.screenName);
  };

  constructor(private readonly options: DashboardOptions) {
    const { screen, store, commands } = options;
    this.render = new RenderScheduler(() => screen.render(), options.frameMs ?? 30);
    this.ctx = {
      screen,
      store,
      commands,
      render: this.render,
      showScreen: (name) => this.show(name),
      refreshHints: () => this.statusLine.refresh(),
      openOverlay: (overlay) => this.openOverlay(overlay),
      notify: (message) => this.statusLine.flash(message),
      fail: (error) => store.dispatch({ type: 'error', message: describeError(error) }),
    };
    // Ctrl-C must work even if something grabs the keys.
    // @types/blessed types ignoreLocked as boolean; blessed reads it as a list of key names.
    const locked = screen as unknown as { ignoreLocked: string[] };
    locked.ignoreLocked = [...locked.ignoreLocked, QUIT_ALWAYS];
    this.body = blessed.box({ parent: screen, top: 1, left: 0, width: '100%', height: '100%-3' });
    this.statusLine = new StatusLineView(this.ctx, () => this.hints());
    screen.on('keypress', this.onKeypress);
    screen.on('resize', this.onResize);
    this.show('Jobs');
  }

  get currentScreen(): ScreenName {
    return this.screenName;
  }

  get overlayOpen(): boolean {
    return this.overlay !== undefined;
  }

  show(name: ScreenName): void {
    this.view?.destroy();
    this.screenName = name;
    const width = this.width();
    this.layoutKey = this.layoutSignature();
    if (name === 'Jobs')
      this.view = new JobsView(this.ctx, this.body, layoutFor(LAYOUTS.Jobs, width));
    else if (name === 'Job')
      this.view = new JobDetailView(this.ctx, this.body, layoutFor(LAYOUTS.Job, width));
    else if (name === 'Inbox') {
      this.view = new InboxView(this.ctx, this.body, layoutFor(LAYOUTS.Inbox, width));
    } else this.view = new SkillsView(this.ctx, this.body, layoutFor(LAYOUTS.Skills, width));
    this.statusLine.refresh();
    this.render.request();
  }

  /** Closes everything this dashboard made; the screen itself belongs to the caller. */
  destroy(): void {
    this.options.screen.removeListener('keypress', this.onKeypress);
    this.options.screen.removeListener('resize', this.onResize);
    this.overlay?.destroy();
    this.overlay = undefined;
    this.view?.destroy();
    this.view = undefined;
    this.statusLine.destroy();
    this.body.destroy();
    this.render.dispose();
  }

  /** The screen and the keys its selection allows, for the header. */
  private hints(): { screen: ScreenName; keys: string[] } {
    const { state } = this.options.store;
    const job = state.selectedJobId ? state.jobs[state.selectedJobId] : undefined;
    const prompt = !!state.selectedPromptId && !!state.prompts[state.selectedPromptId];
    return {
      screen: this.screenName,
      keys: keyHints(this.screenName, { job, step: this.view?.step, prompt }),
    };
  }

  private layoutSignature(): string {
    const width = this.width();
    return Object.values(LAYOUTS)
      .map((layouts: Layout<string>[]) => layoutFor(layouts, width).minWidth)
      .join(',');
  }

  private width(): number {
    return this.options.screen.width as number;
  }

  private openOverlay(overlay: Overlay): void {
    this.overlay?.destroy();
    this.overlay = overlay;
    overlay.onClose = () => {
      if (this.overlay === overlay) this.overlay = undefined;
      this.render.request();
    };
    this.render.request();
  }

  private handleKey(ch: string | undefined, key: KeyEvent): void {
    this.dispatchKey(ch, key);
    // What a key changed is drawn at once (the key hints follow the selection); events keep to the frame.
    if (this.quit) return;
    this.statusLine.refresh();
    this.render.soon();
  }

  private dispatchKey(ch: string | undefined, key: KeyEvent): void {
    if (this.quit) return;
    if (key.full === QUIT_ALWAYS) return this.exit();
    if (this.overlay) {
      this.overlay.handleKey(ch, key);
      return;
    }
    if (this.view?.handleKey(ch, key)) return;
    const binding = GLOBAL_KEYS.find((b) => matches(b, ch, key));
    if (binding) this.run(binding.action);
  }

  private run(action: GlobalAction): void {
    const { store, commands } = this.options;
    const selected = store.state.selectedJobId
      ? store.state.jobs[store.state.selectedJobId]
      : undefined;
    switch (action) {
      case 'screen.jobs':
        return this.show('Jobs');
      case 'screen.inbox':
        return this.show('Inbox');
      case 'screen.skills':
        return this.show('Skills');
      case 'help':
        return this.openOverlay(new HelpView(this.ctx));
      case 'quit':
        return this.exit();
      case 'new-job':
        return this.openOverlay(
          new NewJobView(this.ctx, (jobId) => {
            store.dispatch({ type: 'select.job', jobId });
            // The detail shows the job's start, the no-model notice included.
            this.show('Job');
          }),
        );
      case 'cancel-job':
        if (!selected) return this.ctx.notify('select a job first (1)');
        if (!jobKeyApplies(action, selected)) {
          return this.ctx.notify(
            `job ${shortId(selected.id)} is ${selected.status}: nothing to cancel`,
          );
        }
        return this.openOverlay(
          new ConfirmView(
            this.ctx,
            'Cancel job',
            `Cancel job ${shortId(selected.id)} (${selected.status})?`,
            () =>
              void commands.cancelJob(selected.id).then(
                () => this.ctx.notify(`cancelled job ${shortId(selected.id)}`),
                (error: unknown) => this.ctx.fail(error),
              ),
          ),
        );
      case 'retry-job':
        if (!selected) return this.ctx.notify('select a job first (1)');
        if (!jobKeyApplies(action, selected)) {
          return this.ctx.notify(
            `job ${shortId(selected.id)} is ${selected.status}: only a failed job is retried`,
          );
        }
        commands.retryJob(selected.id).then(
          () => this.ctx.notify(`retrying job ${shortId(selected.id)}`),
          (error: unknown) => this.ctx.fail(error),
        );
        return;
    }
  }

  private exit(): void {
    if (this.quit) return;
    this.quit = true;
    this.options.onQuit();
  }
}
