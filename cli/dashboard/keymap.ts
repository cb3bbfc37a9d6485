import type { Widgets } from 'blessed';
import type { Job, JobStatus } from '#src/client/index';

/** The keys of the dashboard as data: bound by the dashboard, listed by the help overlay. */

export type GlobalAction =
  | 'screen.jobs'
  | 'screen.inbox'
  | 'screen.skills'
  | 'new-job'
  | 'cancel-job'
  | 'retry-job'
  | 'help'
  | 'quit';

export interface KeyBinding<A extends string = string> {
  /** blessed key names (`key.full`) or the typed character. */
  keys: string[];
  /** How the help overlay shows the key. */
  label: string;
  description: string;
  action: A;
}

/** Ctrl-C quits from anywhere, forms included; it is handled before everything else. */
export const QUIT_ALWAYS = 'C-c';

export const GLOBAL_KEYS: KeyBinding<GlobalAction>[] = [
  { keys: ['1'], label: '1', description: 'Jobs screen', action: 'screen.jobs' },
  { keys: ['2'], label: '2', description: 'Inbox screen (open prompts)', action: 'screen.inbox' },
  { keys: ['3'], label: '3', description: 'Skills screen', action: 'screen.skills' },
  { keys: ['n'], label: 'n', description: 'new job', action: 'new-job' },
  {
    keys: ['c'],
    label: 'c',
    description: 'cancel the selected job (queued, running, waiting; asks)',
    action: 'cancel-job',
  },
  {
    keys: ['r'],
    label: 'r',
    description: 'retry the selected job (a failed one)',
    action: 'retry-job',
  },
  { keys: ['?'], label: '?', description: 'this help', action: 'help' },
  { keys: ['q'], label: 'q', description: 'quit (Ctrl-C quits from anywhere)', action: 'quit' },
];

/** The job statuses each job key applies to; a job in another status is not offered the key. */
export const JOB_KEY_STATUSES: Record<'cancel-job' | 'retry-job' | 'rewind', readonly JobStatus[]> =
  {
    'cancel-job': ['queued', 'running', 'waiting'],
    'retry-job': ['failed'],
    rewind: ['completed', 'failed', 'cancelled', 'waiting'],
  };

export function jobKeyApplies(
  action: keyof typeof JOB_KEY_STATUSES,
  job: Job | undefined,
): boolean {
  return !!job && JOB_KEY_STATUSES[action].includes(job.status);
}

/** What the selection allows on a screen, for the key hints. */
export interface Selection {
  job?: Job;
  /** Job detail: the step the cursor is on. */
  step?: string;
  /** Inbox: a prompt is selected. */
  prompt?: boolean;
}

/**
 * The keys offered in the header for this screen and selection: only those that would do something
 * (no cancel on a finished job, no retry on one that did not fail, no rewind without a step).
 */
export function keyHints(screen: string, selection: Selection): string[] {
  const { job } = selection;
  const hints: string[] = [];
  if (screen === 'Jobs' && job) hints.push('enter open');
  if (screen === 'Job') {
    hints.push('esc back');
    if (selection.step && jobKeyApplies('rewind', job)) hints.push('w rewind');
  }
  if (screen === 'Jobs' || screen === 'Job') {
    if (jobKeyApplies('cancel-job', job)) hints.push('c cancel');
    if (jobKeyApplies('retry-job', job)) hints.push('r retry');
  }
  if (screen === 'Inbox' && selection.prompt) hints.push('enter answer');
  hints.push('n new', '? help');
  return hints;
}

/** Keys a screen handles itself, for the help overlay. */
export const SCREEN_KEYS: Record<string, { label: string; description: string }[]> = {
  Jobs: [
    { label: '↑ ↓ PgUp PgDn', description: 'select a job' },
    { label: 'enter', description: "open the job's detail: steps, outputs, events" },
    { label: '/', description: 'filter the jobs (enter applies, escape clears)' },
  ],
  'Job detail': [
    { label: '↑ ↓', description: 'select a step; its output shows beside' },
    { label: '[ ]', description: "scroll the step's output" },
    { label: 'PgUp PgDn', description: 'scroll the event log (End: follow)' },
    { label: 'w', description: 'rewind: run again from the selected step (asks first)' },
    { label: 'escape', description: 'back to Jobs' },
  ],
  Inbox: [
    { label: '↑ ↓', description: 'select a prompt' },
    { label: 'enter', description: 'answer the selected prompt' },
  ],
  Skills: [
    { label: '↑ ↓', description: 'select a skill' },
    { label: 'p', description: 'promote the selected draft (asks first)' },
    { label: 'd', description: 'delete the selected draft: its folder and record (asks first)' },
    { label: '/', description: 'search skills (enter searches, escape clears)' },
  ],
  Forms: [
    { label: 'tab S-tab', description: 'next / previous field' },
    { label: '← → space', description: 'move in and pick options or buttons' },
    { label: 'enter', description: 'press the button; new line in a multi-line text' },
    { label: '↑ ↓ PgUp PgDn', description: 'scroll a summary or content' },
    { label: 'e', description: 'preview: edit the content in $EDITOR' },
    { label: 'escape', description: 'close the form without answering' },
  ],
};

export function matches(
  binding: { keys: string[] },
  ch: string | undefined,
  key: KeyEvent,
): boolean {
  return binding.keys.includes(key.full) || (!!ch && binding.keys.includes(ch));
}

export type KeyEvent = Widgets.Events.IKeyEventArg;

/** A printable character typed (not a control or navigation key). */
export function printable(ch: string | undefined, key: KeyEvent): ch is string {
  return (
    !!ch &&
    !key.ctrl &&
    !key.meta &&
    ch >= ' ' &&
    ch !== '\x7f' &&
    !/^(enter|return|tab|escape|backspace)$/.test(key.name ?? '')
  );
}
