import type { Job, JobEvent } from '#src/client/index';
import { terminalText } from '../terminal-text';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

/** What the status line shows of the followed job. */
export interface StatusState {
  jobId: string;
  status: string;
  step: string | null;
  percent: number;
  /** When the job was created (ms since the epoch), for the elapsed time. */
  since: number;
  /** Shown instead of the step while set, e.g. `reconnecting (attempt 2)`. */
  note: string | null;
}

export const elapsed = (ms: number): string => {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
};

/** One line: `⠹ a1b2c3d4 running · generate · 45% · 12s`, cut to `columns - 1` characters. */
export function statusText(state: StatusState, now: number, tick: number, columns: number): string {
  const parts = [
    `${SPINNER[tick % SPINNER.length]} ${state.jobId.slice(0, 8)} ${state.status}`,
    state.note ?? state.step ?? 'starting',
    `${Math.round(state.percent)}%`,
    elapsed(now - state.since),
  ];
  const line = terminalText(parts.join(' · ')).replace(/\s+/g, ' ');
  const width = Math.max(10, columns - 1);
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** The state after `event`: the step it starts, the percent it reports, the status it sets. */
export function nextState(state: StatusState, event: JobEvent): StatusState {
  switch (event.event) {
    case 'step.started':
      return { ...state, step: event.payload.step };
    case 'job.progress':
      return { ...state, percent: event.payload.percent };
    case 'job.status':
      return { ...state, status: event.payload.status };
    case 'job.completed':
      return { ...state, status: 'completed', percent: 100, step: null };
    default:
      return state;
  }
}

export function stateOf(job: Job): StatusState {
  const created = Date.parse(job.createdAt);
  return {
    jobId: job.id,
    status: job.status,
    step: job.currentStep,
    percent: job.progress.percent,
    since: Number.isNaN(created) ? Date.now() : Math.min(created, Date.now()),
    note: null,
  };
}

/**
 * The live line under a followed job's output, redrawn in place every 100 ms at a terminal. Whatever
 * else is written first calls `clear()` (the line is erased) and then `draw()` (it comes back);
 * `hidden` keeps it away while a question is asked.
 */
export class StatusLine {
  private state: StatusState | null = null;
  private shown = false;
  private hidden = false;
  private tick = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  start(state: StatusState): void {
    this.state = state;
    this.hidden = false;
    this.timer ??= setInterval(() => this.draw(), FRAME_MS);
    this.draw();
  }

  update(change: (state: StatusState) => StatusState): void {
    if (this.state) this.state = change(this.state);
  }

  get current(): StatusState | null {
    return this.state;
  }

  /** Erases the line (if shown) so that other text can be written where it was. */
  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  draw(): void {
    if (!this.state || this.hidden) return;
    const text = statusText(this.state, Date.now(), this.tick++, this.out.columns ?? 80);
    this.out.write(`\r\x1b[2K${text}`);
    this.shown = true;
  }

  hide(): void {
    this.clear();
    this.hidden = true;
  }

  show(): void {
    this.hidden = false;
    this.draw();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.state = null;
  }
}
