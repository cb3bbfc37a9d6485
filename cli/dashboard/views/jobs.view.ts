import type { Widgets } from 'blessed';
import type { Job } from '#src/client/index';
import { age, duration, esc, eventLine, fit, progressBar, shortId, statusWord } from '../format';
import { KeyEvent, printable } from '../keymap';
import { JobsPane, Layout } from '../layouts';
import { DashboardState, jobList, jobTask, taskHeadline } from '../store';
import { Cursor, innerHeight, innerWidth, pane, StoreView, ViewContext } from './view';

/**
 * Jobs (1): the live table (id, task, status, step, progress, age, owner), and for the selected job
 * its steps with durations, its event log and the streamed tokens of the running step. `/` filters.
 */
export class JobsView extends StoreView {
  private readonly table: Widgets.BoxElement;
  private readonly steps: Widgets.BoxElement;
  private readonly log: Widgets.BoxElement;
  private readonly cursor = new Cursor();
  private filter = '';
  /** The filter being typed, while `/` is active. */
  private editing: string | null = null;
  private rows: Job[] = [];

  constructor(ctx: ViewContext, parent: Widgets.Node, layout: Layout<JobsPane>) {
    super(ctx);
    this.table = pane(parent, 'Jobs', layout.panes.table);
    this.steps = pane(parent, 'Steps', layout.panes.steps);
    this.log = pane(parent, 'Events', layout.panes.log);
    const selected = ctx.store.state.selectedJobId;
    this.rows = jobList(ctx.store.state);
    this.cursor.index = Math.max(
      0,
      this.rows.findIndex((j) => j.id === selected),
    );
    this.disposers.push(() => {
      this.table.destroy();
      this.steps.destroy();
      this.log.destroy();
    });
    this.start();
  }

  handleKey(ch: string | undefined, key: KeyEvent): boolean {
    if (this.editing !== null) {
      if (key.full === 'enter') {
        this.filter = this.editing;
        this.editing = null;
      } else if (key.full === 'escape') {
        this.filter = '';
        this.editing = null;
      } else if (key.full === 'backspace') this.editing = this.editing.slice(0, -1);
      else if (printable(ch, key)) this.editing += ch;
      this.invalidate();
      return true;
    }
    if (ch === '/') {
      this.editing = this.filter;
      this.invalidate();
      return true;
    }
    if (key.full === 'enter') {
      if (this.ctx.store.state.selectedJobId) this.ctx.showScreen('Job');
      return true;
    }
    this.refreshRows(this.ctx.store.state);
    const moved = this.cursor.navigate(key, this.rows.length, innerHeight(this.table) - 1);
    if (moved === 'moved') this.selectCursor();
    return moved !== false;
  }

  private selectCursor(): void {
    this.ctx.store.dispatch({
      type: 'select.job',
      jobId: this.rows[this.cursor.index]?.id ?? null,
    });
    this.invalidate();
  }

  /** The rows as the store has them now, with the cursor on the selected job. */
  private refreshRows(state: DashboardState): number {
    this.rows = jobList(state, this.editing ?? this.filter);
    const at = this.rows.findIndex((j) => j.id === state.selectedJobId);
    if (at >= 0) this.cursor.index = at;
    return at;
  }

  protected sync(state: DashboardState): void {
    const at = this.refreshRows(state);
    if (at < 0 && this.rows.length > 0) {
      // The selected job is filtered out or gone: select what the cursor is on now.
      this.cursor.index = Math.min(this.cursor.index, this.rows.length - 1);
      queueMicrotask(() => this.selectCursor());
    }
    this.drawTable(state);
    this.drawDetail(state);
  }

  private drawTable(state: DashboardState): void {
    const width = innerWidth(this.table);
    const height = innerHeight(this.table) - 1;
    const wide = width >= 100;
    const cols = { id: 8, status: 9, step: wide ? 16 : 11, bar: 15, age: 3, owner: wide ? 10 : 6 };
    const fixed = cols.id + cols.status + cols.step + cols.bar + cols.age + cols.owner + 7;
    const task = Math.max(8, width - fixed);
    const header = [
      fit('ID', cols.id),
      fit('TASK', task),
      fit('STATUS', cols.status),
      fit('STEP', cols.step),
      fit('PROGRESS', cols.bar),
      fit('AGE', cols.age),
      fit('OWNER', cols.owner),
    ].join(' ');
    const lines = [`{bold}${header}{/bold}`];
    const top = this.cursor.window(this.rows.length, height);
    const now = Date.now();
    this.rows.slice(top, top + height).forEach((job, i) => {
      const line = [
        esc(fit(shortId(job.id), cols.id)),
        esc(fit(taskHeadline(jobTask(job)), task)),
        statusWord(job.status, cols.status),
        esc(fit(job.currentStep ?? '-', cols.step)),
        progressBar(job.progress?.percent ?? 0, 8),
        fit(age(job.createdAt, now), cols.age),
        esc(fit(job.ownerId, cols.owner)),
      ].join(' ');
      lines.push(top + i === this.cursor.index ? `{inverse}${line}{/inverse}` : line);
    });
    if (this.rows.length === 0)
      lines.push(this.filter ? '(no job matches the filter)' : '(no jobs yet: press n)');
    const filter =
      this.editing !== null
        ? ` filter: ${esc(this.editing)}_ `
        : this.filter
          ? ` filter: ${esc(this.filter)} `
          : '';
    this.table.setLabel(
      ` Jobs (${this.rows.length}/${Object.keys(state.jobs).length})${filter || ' '}`,
    );
    this.table.setContent(lines.join('\n'));
  }

  private drawDetail(state: DashboardState): void {
    const job = state.selectedJobId ? state.jobs[state.selectedJobId] : undefined;
    const stream = job ? state.streams[job.id] : undefined;
    if (!job) {
      this.steps.setLabel(' Steps ');
      this.steps.setContent('(select a job)');
      this.log.setLabel(' Events ');
      this.log.setContent('');
      return;
    }
    const width = innerWidth(this.steps);
    const stepLines = [
      `${statusWord(job.status)} ${progressBar(job.progress?.percent ?? 0, Math.max(4, Math.min(20, width - 20)))}`,
      esc(fit(job.progress?.message ?? jobTask(job), width)),
    ];
    if (job.error)
      stepLines.push(
        `{red-fg}${esc(fit(`${job.error.code}: ${job.error.message}`, width))}{/red-fg}`,
      );
    for (const step of stream?.steps ?? []) {
      const status =
        step.status === 'running'
          ? 'running'
          : step.status === 'completed'
            ? 'completed'
            : 'failed';
      stepLines.push(
        `${esc(fit(step.step, width - 19))} ${statusWord(status, 9)} ${duration(step.durationMs).padStart(8)}`,
      );
    }
    this.steps.setLabel(` Steps · ${shortId(job.id)} `);
    const stepsHeight = innerHeight(this.steps);
    this.steps.setContent(
      (stepLines.length > stepsHeight
        ? [...stepLines.slice(0, 2), ...stepLines.slice(-(stepsHeight - 2))]
        : stepLines
      ).join('\n'),
    );

    const logWidth = innerWidth(this.log);
    const logHeight = innerHeight(this.log);
    const events = stream?.events ?? [];
    const logLines = events.map((e) => esc(fit(eventLine(e), logWidth)));
    const tokens = stream?.tokens;
    let tokenLines: string[] = [];
    if (tokens && ['running', 'queued'].includes(job.status)) {
      const tail = tokens.text.split('\n').slice(-Math.max(1, Math.floor(logHeight / 3)));
      tokenLines = [
        `{cyan-fg}── ${esc(tokens.step)} output ──{/cyan-fg}`,
        ...tail.map((l) => esc(fit(l, logWidth))),
      ];
    }
    const room = Math.max(0, logHeight - tokenLines.length);
    const range = events.length ? `, seq ${stream?.firstSeq}-${stream?.lastSeq}` : '';
    this.log.setLabel(` Events (${events.length}${range}) `);
    this.log.setContent([...logLines.slice(-room), ...tokenLines].join('\n'));
  }
}
