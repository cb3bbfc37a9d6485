import type { Widgets } from 'blessed';
import type { Job, JobStepInfo, StepUsage } from '#src/client/index';
import { terminalJson } from '#cli/terminal-text';
import {
  age,
  colour,
  duration,
  esc,
  eventLine,
  fit,
  progressBar,
  shortId,
  statusWord,
  wrap,
} from '../format';
import { jobKeyApplies, KeyEvent } from '../keymap';
import { JobPane, Layout } from '../layouts';
import { DashboardState, jobTask, JobStream, modelNotice, taskHeadline } from '../store';
import { ConfirmView } from './confirm.view';
import { Cursor, innerHeight, innerWidth, pane, StoreView, ViewContext } from './view';

/** One row of the step timeline: a recorded step, or the running one the stream reports. */
export interface TimelineRow {
  name: string;
  status: JobStepInfo['status'];
  attempt: number;
  durationMs: number | null;
  tokens: number | null;
  recorded: JobStepInfo | null;
}

function tokensOf(usage: StepUsage | null): number | null {
  if (!usage) return null;
  if (usage.totalTokens !== undefined) return usage.totalTokens;
  if (usage.promptTokens === undefined && usage.completionTokens === undefined) return null;
  return (usage.promptTokens ?? 0) + (usage.completionTokens ?? 0);
}

/** The recorded steps (`jobs.steps`), then any step the stream shows running that is not recorded yet. */
export function timeline(recorded: JobStepInfo[], stream: JobStream | undefined): TimelineRow[] {
  const rows: TimelineRow[] = recorded.map((info) => ({
    name: info.name,
    status: info.status,
    attempt: info.attempt,
    durationMs: info.durationMs,
    tokens: tokensOf(info.usage),
    recorded: info,
  }));
  for (const live of stream?.steps ?? []) {
    if (live.status === 'running' && !rows.some((row) => row.name === live.step)) {
      rows.push({
        name: live.step,
        status: 'running',
        attempt: live.attempt,
        durationMs: null,
        tokens: null,
        recorded: null,
      });
    }
  }
  return rows;
}

/** A step's output as text: a SKILL.md as it is written, anything else as indented JSON. */
export function stepOutputText(row: TimelineRow): string {
  const info = row.recorded;
  if (!info) return '(running: the output shows when the step completes)';
  const lines: string[] = [];
  if (info.error) lines.push(`error ${info.error.code}: ${info.error.message}`, '');
  const output = info.output;
  if (info.outputTruncated && typeof output === 'string') {
    lines.push(output, '', '(cut: the output is longer than the server returns)');
  } else if (typeof output === 'string') {
    lines.push(output);
  } else if (output && typeof output === 'object' && !Array.isArray(output)) {
    // A draft's SKILL.md is shown as text, then the rest of the output.
    const { content, ...rest } = output as Record<string, unknown>;
    if (typeof content === 'string') {
      lines.push(content);
      if (Object.keys(rest).length > 0) lines.push('── and ──', terminalJson(rest));
    } else lines.push(terminalJson(output));
  } else if (output !== undefined && output !== null) lines.push(terminalJson(output));
  else if (!info.error) lines.push('(no output)');
  return lines.join('\n');
}

/** What of the stream decides that the recorded steps must be asked for again. */
function stepsSignature(stream: JobStream | undefined): string {
  const rewinds = stream?.events.filter((e) => e.event === 'job.rewound').length ?? 0;
  return `${rewinds}|${(stream?.steps ?? []).map((s) => `${s.step}:${s.status}`).join(',')}`;
}

/**
 * One job (enter on Jobs): a summary, the step timeline (name, status, duration, tokens, attempt)
 * from `jobs.steps`, the selected step's output, and the whole event log, scrollable. `w` rewinds
 * the job to the selected step after a confirmation; the new run's events arrive on the same log.
 */
export class JobDetailView extends StoreView {
  private readonly summary: Widgets.BoxElement;
  private readonly steps: Widgets.BoxElement;
  private readonly output: Widgets.BoxElement;
  private readonly log: Widgets.BoxElement;
  private readonly cursor = new Cursor();
  private readonly jobId: string | null;
  private recorded: JobStepInfo[] = [];
  private rows: TimelineRow[] = [];
  /** The stream's state when the steps were last asked for; null before the first answer. */
  private fetchedFor: string | null = null;
  private fetching = false;
  private selectedStep: string | null = null;
  private outputTop = 0;
  /** Lines of the log scrolled back from its newest line (0: the log follows new events). */
  private logBack = 0;
  /** Set on destroy: a `jobs.steps` answer that comes after it draws nothing. */
  private gone = false;

  constructor(ctx: ViewContext, parent: Widgets.Node, layout: Layout<JobPane>) {
    super(ctx);
    this.jobId = ctx.store.state.selectedJobId;
    this.summary = pane(parent, 'Job', layout.panes.summary);
    this.steps = pane(parent, 'Steps', layout.panes.steps);
    this.output = pane(parent, 'Output', layout.panes.output);
    this.log = pane(parent, 'Events', layout.panes.log);
    this.disposers.push(() => {
      this.summary.destroy();
      this.steps.destroy();
      this.output.destroy();
      this.log.destroy();
    });
    this.start();
  }

  override destroy(): void {
    this.gone = true;
    super.destroy();
  }

  /** The step the cursor is on, for the key hints. */
  get step(): string | undefined {
    return this.rows[this.cursor.index]?.name;
  }

  handleKey(ch: string | undefined, key: KeyEvent): boolean {
    const job = this.job(this.ctx.store.state);
    if (key.full === 'escape' || key.full === 'backspace') {
      this.ctx.showScreen('Jobs');
      return true;
    }
    if (ch === 'w') {
      this.rewind(job);
      return true;
    }
    if (ch === '[' || ch === ']') {
      const page = Math.max(1, innerHeight(this.output) - 1);
      this.outputTop = Math.max(0, this.outputTop + (ch === ']' ? page : -page));
      this.invalidate();
      return true;
    }
    if (['pageup', 'pagedown', 'home', 'end'].includes(key.full)) {
      const page = Math.max(1, innerHeight(this.log) - 1);
      const deltas: Record<string, number> = {
        pageup: page,
        pagedown: -page,
        home: Number.MAX_SAFE_INTEGER,
        end: -Number.MAX_SAFE_INTEGER,
      };
      this.logBack = Math.max(0, this.logBack + deltas[key.full]);
      this.invalidate();
      return true;
    }
    if (key.full === 'up' || key.full === 'down' || ch === 'j' || ch === 'k') {
      if (this.cursor.move(key.full === 'up' || ch === 'k' ? -1 : 1, this.rows.length)) {
        this.selectedStep = this.rows[this.cursor.index]?.name ?? null;
        this.outputTop = 0;
        this.invalidate();
      }
      return true;
    }
    return false;
  }

  private job(state: DashboardState): Job | undefined {
    return this.jobId ? state.jobs[this.jobId] : undefined;
  }

  private rewind(job: Job | undefined): void {
    const step = this.step;
    if (!job || !step) return this.ctx.notify('no step to rewind to');
    if (!jobKeyApplies('rewind', job)) {
      return this.ctx.notify(
        `a ${job.status} job cannot be rewound (completed, failed, cancelled or waiting ones can)`,
      );
    }
    this.ctx.openOverlay(
      new ConfirmView(
        this.ctx,
        'Rewind job',
        `Rewind job ${shortId(job.id)} to ${step}? The results of ${step} and of every later step are discarded; the job runs again from there.`,
        () =>
          void this.ctx.commands.rewindJob(job.id, step).then(
            () => {
              this.logBack = 0;
              this.ctx.notify(`rewound job ${shortId(job.id)} to ${step}; the new run follows`);
            },
            (error: unknown) => this.ctx.fail(error),
          ),
      ),
    );
  }

  /** Asks for the recorded steps when the stream shows a step start, end or a rewind. */
  private refreshSteps(stream: JobStream | undefined): void {
    const signature = stepsSignature(stream);
    if (!this.jobId || this.fetching || signature === this.fetchedFor) return;
    this.fetching = true;
    this.ctx.commands.jobSteps(this.jobId).then(
      (steps) => {
        if (this.gone) return;
        this.fetching = false;
        this.fetchedFor = signature;
        this.recorded = steps;
        // The rows now, so the key hints drawn in this frame see them.
        this.rows = timeline(
          steps,
          this.jobId ? this.ctx.store.state.streams[this.jobId] : undefined,
        );
        this.invalidate();
        this.ctx.refreshHints();
      },
      (error: unknown) => {
        if (this.gone) return;
        this.fetching = false;
        this.fetchedFor = signature;
        this.ctx.fail(error);
      },
    );
  }

  protected sync(state: DashboardState): void {
    const job = this.job(state);
    const stream = this.jobId ? state.streams[this.jobId] : undefined;
    if (!job) {
      this.summary.setContent('(no job selected: press 1 and pick one)');
      for (const box of [this.steps, this.output, this.log]) box.setContent('');
      return;
    }
    this.refreshSteps(stream);
    this.rows = timeline(this.recorded, stream);
    const at = this.rows.findIndex((row) => row.name === this.selectedStep);
    if (at >= 0) this.cursor.index = at;
    this.cursor.index = Math.max(0, Math.min(this.cursor.index, this.rows.length - 1));
    this.selectedStep = this.rows[this.cursor.index]?.name ?? null;
    this.drawSummary(job, stream);
    this.drawSteps();
    this.drawOutput();
    this.drawLog(stream);
  }

  private drawSummary(job: Job, stream: JobStream | undefined): void {
    const width = innerWidth(this.summary);
    const step = job.currentStep ? ` · step ${esc(job.currentStep)}` : '';
    const attempts = job.attempts > 1 ? ` · attempt ${job.attempts}` : '';
    const lines = [
      `${statusWord(job.status)} ${progressBar(job.progress?.percent ?? 0)}${step}${attempts} · ${age(job.createdAt)} old · ${esc(job.ownerId)}`,
      esc(fit(taskHeadline(jobTask(job)), width)),
    ];
    const notice = modelNotice(stream);
    if (job.error)
      lines.push(colour('red', esc(fit(`${job.error.code}: ${job.error.message}`, width))));
    if (notice) lines.push(...wrap(notice, width).map((line) => colour('yellow', esc(line))));
    else if (job.progress?.message) lines.push(esc(fit(job.progress.message, width)));
    this.summary.setLabel(` Job ${shortId(job.id)} · ${esc(job.workflow)} `);
    this.summary.setContent(lines.slice(0, innerHeight(this.summary)).join('\n'));
  }

  private drawSteps(): void {
    const width = innerWidth(this.steps);
    const height = innerHeight(this.steps) - 1;
    const name = Math.max(6, width - 27);
    const header = `${fit('STEP', name)} ${fit('STATUS', 9)} ${fit('TIME', 6)} ${fit('TOKENS', 6)} #`;
    const lines = [`{bold}${header}{/bold}`];
    const top = this.cursor.window(this.rows.length, height);
    this.rows.slice(top, top + height).forEach((row, i) => {
      const line = [
        esc(fit(row.name, name)),
        statusWord(row.status, 9),
        duration(row.durationMs).padStart(6),
        (row.tokens === null ? '-' : String(row.tokens)).padStart(6),
        String(row.attempt),
      ].join(' ');
      lines.push(top + i === this.cursor.index ? `{inverse}${line}{/inverse}` : line);
    });
    if (this.rows.length === 0)
      lines.push(this.fetchedFor === null ? '(loading…)' : '(no steps yet)');
    this.steps.setLabel(` Steps (${this.rows.length}) `);
    this.steps.setContent(lines.join('\n'));
  }

  private drawOutput(): void {
    const row = this.rows[this.cursor.index];
    if (!row) {
      this.output.setLabel(' Output ');
      this.output.setContent('');
      return;
    }
    const lines = wrap(stepOutputText(row), innerWidth(this.output));
    const height = innerHeight(this.output);
    this.outputTop = Math.min(this.outputTop, Math.max(0, lines.length - height));
    const shown = lines.slice(this.outputTop, this.outputTop + height);
    const more =
      lines.length > height
        ? ` ${this.outputTop + 1}-${this.outputTop + shown.length}/${lines.length}`
        : '';
    // Short enough for the pane's top border at 80 columns.
    this.output.setLabel(` ${esc(fit(row.name, 16).trimEnd())}${more} `);
    this.output.setContent(shown.map(esc).join('\n'));
  }

  private drawLog(stream: JobStream | undefined): void {
    const width = innerWidth(this.log);
    const height = innerHeight(this.log);
    const events = stream?.events ?? [];
    this.logBack = Math.min(this.logBack, Math.max(0, events.length - height));
    const end = events.length - this.logBack;
    const shown = events.slice(Math.max(0, end - height), end);
    const range = events.length ? `, seq ${stream?.firstSeq}-${stream?.lastSeq}` : '';
    const where =
      events.length > height
        ? this.logBack === 0
          ? ' · newest (PgUp)'
          : ` · ${end - shown.length + 1}-${end} of ${events.length} (PgUp PgDn End)`
        : '';
    this.log.setLabel(` Events (${events.length}${range})${where} `);
    this.log.setContent(shown.map((e) => esc(fit(eventLine(e), width))).join('\n'));
  }
}
