import type { ClarifyQuestion, Prompt } from '../src/client';

/** What asking at the terminal needs; tests give a scripted one, `create` a readline one. */
export interface Terminal {
  write(text: string): void;
  /**
   * One line typed by the person. Rejects with `Interrupted` on Ctrl-C or end of input, and with
   * `Withdrawn` when the question was taken back (the prompt closed elsewhere).
   */
  line(question: string): Promise<string>;
  /** Opens `content` in the person's editor and resolves with the saved text. */
  edit(content: string): Promise<string>;
}

/** Ctrl-C or end of input while a question was open. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor() {
    super('Interrupted at the terminal');
  }
}

/** End of input (Ctrl-D on an empty line) rather than Ctrl-C; `create` treats both alike. */
export class EndOfInput extends Interrupted {
  override name = 'EndOfInput';
}

/** The question was taken back: its prompt was answered elsewhere, or the job ended. */
export class Withdrawn extends Error {
  override name = 'Withdrawn';
  constructor() {
    super('The question was withdrawn');
  }
}

/** Typed at any question: answers the prompt with `{action: "cancel"}`. */
export const CANCEL_WORD = ':cancel';

class CancelRequested extends Error {}

type Answer = Record<string, unknown>;

/** How many lines of a SKILL.md `preview` shows before offering the whole text. */
const PREVIEW_LINES = 20;

/**
 * Asks one prompt at the terminal (protocol.md §1.6) and returns the answer to send: choices as
 * numbered lists, free text, several numbers for a multi-select, `$EDITOR` for preview edits.
 * `:cancel` at any question cancels the job.
 */
export async function askAtTerminal(prompt: Prompt, term: Terminal): Promise<Answer> {
  term.write(`\n== ${prompt.title} (${prompt.kind}; type ${CANCEL_WORD} to cancel the job)\n`);
  if (prompt.body) term.write(`${prompt.body}\n`);
  try {
    switch (prompt.kind) {
      case 'clarify':
        return await clarify(prompt.payload, term);
      case 'structure_fix':
        return await structureFix(prompt.payload, term);
      case 'confirm':
        return await confirm(prompt.payload, term);
      case 'preview':
        return await preview(prompt.payload, term);
      case 'validate':
        return await validate(prompt.payload, term);
      default:
        return await rawJson(prompt.payload, term);
    }
  } catch (error) {
    if (error instanceof CancelRequested) return { action: 'cancel' };
    throw error;
  }
}

/** A line, trimmed; `:cancel` leaves the prompt. */
async function read(term: Terminal, question: string): Promise<string> {
  const typed = (await term.line(question)).trim();
  if (typed === CANCEL_WORD) throw new CancelRequested();
  return typed;
}

/** Free text; asked again while empty when required. */
async function freeText(term: Terminal, question: string, required: boolean): Promise<string> {
  for (;;) {
    const typed = await read(term, question);
    if (typed || !required) return typed;
    term.write('An answer is required.\n');
  }
}

/** A numbered list; resolves with the index chosen. */
async function choose(term: Terminal, labels: string[], question = 'Choose'): Promise<number> {
  labels.forEach((label, i) => term.write(`  ${i + 1}) ${label}\n`));
  for (;;) {
    const typed = await read(term, `${question} [1-${labels.length}]: `);
    const n = Number(typed);
    if (Number.isInteger(n) && n >= 1 && n <= labels.length) return n - 1;
    term.write(`Type a number from 1 to ${labels.length}.\n`);
  }
}

/** Several numbers separated by commas or spaces; an empty line chooses none. */
async function chooseMany(term: Terminal, count: number, required: boolean): Promise<number[]> {
  for (;;) {
    const typed = await read(term, `Choose any of 1-${count}, separated by commas: `);
    const parts = typed.split(/[\s,]+/).filter(Boolean);
    const picked = parts.map(Number);
    const ok = picked.every((n) => Number.isInteger(n) && n >= 1 && n <= count);
    if (ok && (picked.length > 0 || !required)) return [...new Set(picked)].map((n) => n - 1);
    term.write(ok ? 'Choose at least one.\n' : `Type numbers from 1 to ${count}, e.g. 1,3.\n`);
  }
}

const OTHER = 'Other (type your own)';

async function clarify(payload: Answer, term: Terminal): Promise<Answer> {
  const questions = (
    Array.isArray(payload.questions) ? payload.questions : []
  ) as ClarifyQuestion[];
  const answers: Record<string, string | string[] | boolean> = {};
  for (const [i, q] of questions.entries()) {
    const required = q.required === true;
    term.write(`\n${i + 1}. ${q.text}${required ? '' : ' (optional: Enter skips it)'}\n`);
    const options = q.options ?? [];
    const labels = options.map((o) => (o.description ? `${o.label}: ${o.description}` : o.label));
    if (q.type === 'boolean') {
      const yes = await yesNo(term, required);
      if (yes !== undefined) answers[q.id] = yes;
    } else if (q.type === 'single' && options.length > 0) {
      const choices = q.allowOther ? [...labels, OTHER] : labels;
      if (!required) choices.push('Skip');
      const at = await choose(term, choices);
      if (at < options.length) answers[q.id] = options[at].id;
      else if (choices[at] === OTHER) answers[q.id] = await freeText(term, 'Your answer: ', true);
    } else if (q.type === 'multi' && options.length > 0) {
      labels.forEach((label, n) => term.write(`  ${n + 1}) ${label}\n`));
      const picked = await chooseMany(term, options.length, required && !q.allowOther);
      const chosen: string[] = picked.map((n) => options[n].id);
      if (q.allowOther) {
        const own = await freeText(term, 'Anything else (Enter for nothing): ', false);
        if (own) chosen.push(own);
      }
      if (chosen.length > 0) answers[q.id] = chosen;
    } else {
      const typed = await freeText(term, '> ', required);
      if (typed) answers[q.id] = typed;
    }
  }
  return { answers };
}

async function yesNo(term: Terminal, required: boolean): Promise<boolean | undefined> {
  for (;;) {
    const typed = (await read(term, required ? '[y/n]: ' : '[y/n, Enter skips]: ')).toLowerCase();
    if (['y', 'yes'].includes(typed)) return true;
    if (['n', 'no'].includes(typed)) return false;
    if (!typed && !required) return undefined;
    term.write('Type y or n.\n');
  }
}

async function structureFix(payload: Answer, term: Terminal): Promise<Answer> {
  const issues = (payload.issues ?? []) as string[];
  const current = (payload.current ?? {}) as { name?: string; description?: string };
  const suggested = (payload.suggested ?? {}) as { name?: string; description?: string };
  term.write(`Problems:\n${issues.map((issue) => `  - ${issue}\n`).join('')}`);
  term.write(`Current:   ${current.name ?? ''}: ${current.description ?? ''}\n`);
  term.write(
    `Suggested: ${suggested.name ?? current.name ?? ''}: ${suggested.description ?? current.description ?? ''}\n`,
  );
  const at = await choose(term, [
    'Accept the suggestions',
    'Type a name and description',
    'Cancel the job',
  ]);
  if (at === 0) return { acceptSuggestions: true };
  if (at === 2) return { action: 'cancel' };
  const name = await read(term, `Name [${suggested.name ?? current.name ?? ''}]: `);
  const description = await read(term, 'Description [keep the current one]: ');
  return {
    name: name || suggested.name || current.name,
    description: description || suggested.description || current.description,
  };
}

/** proceed / revise-or-refine with feedback / cancel. */
async function feedbackChoice(term: Terminal, second: 'revise' | 'refine'): Promise<Answer> {
  const label = second === 'revise' ? 'Revise: say what to change' : 'Refine: say what to improve';
  const at = await choose(term, ['Proceed', label, 'Cancel the job']);
  if (at === 0) return { action: 'proceed' };
  if (at === 2) return { action: 'cancel' };
  return { action: second, feedback: await freeText(term, 'Feedback: ', true) };
}

/**
 * What the job can take now (the payload's `actions`); a server that does not list them takes
 * every action of the kind.
 */
function offered(payload: Answer, all: string[]): Set<string> {
  return new Set(Array.isArray(payload.actions) ? (payload.actions as string[]) : all);
}

const EDIT_FIELDS = ['name', 'description', 'level', 'topics', 'category'] as const;

async function confirm(payload: Answer, term: Terminal): Promise<Answer> {
  term.write(`${String(payload.summary ?? '')}\nPath: ${String(payload.path ?? '')}\n`);
  const assumptions = (payload.assumptions ?? []) as string[];
  if (assumptions.length > 0) {
    term.write(`Assumptions:\n${assumptions.map((a) => `  - ${a}\n`).join('')}`);
  }
  const actions = offered(payload, ['proceed', 'revise', 'cancel']);
  const choices: [string, string][] = [['proceed', 'Proceed']];
  if (actions.has('revise')) choices.push(['revise', 'Revise: say what to change']);
  if (actions.has('edits'))
    choices.push(['edits', 'Edit a field (name, description, level, topics, category)']);
  choices.push(['cancel', 'Cancel the job']);
  const picked =
    choices[
      await choose(
        term,
        choices.map(([, label]) => label),
      )
    ][0];
  if (picked === 'proceed' || picked === 'cancel') return { action: picked };
  if (picked === 'revise') {
    return { action: 'revise', feedback: await freeText(term, 'Feedback: ', true) };
  }
  const field = EDIT_FIELDS[await choose(term, [...EDIT_FIELDS])];
  const hint =
    field === 'topics'
      ? ' (comma-separated)'
      : field === 'level'
        ? ' (beginner, intermediate, advanced or expert)'
        : '';
  const value = await freeText(term, `New ${field}${hint}: `, true);
  const edits =
    field === 'topics'
      ? {
          topics: value
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }
      : { [field]: value.trim() };
  // revise with edits: the server applies them and shows the confirm again
  return { action: 'revise', edits };
}

async function preview(payload: Answer, term: Terminal): Promise<Answer> {
  const content = String(payload.content ?? '');
  const stats = (payload.stats ?? {}) as { sections?: number; examples?: number; words?: number };
  const highlights = (payload.highlights ?? []) as string[];
  term.write(
    `${stats.sections ?? 0} sections, ${stats.examples ?? 0} examples, ${stats.words ?? 0} words` +
      `${highlights.length ? `; ${highlights.join(' · ')}` : ''}\n`,
  );
  const lines = content.split('\n');
  term.write(`${lines.slice(0, PREVIEW_LINES).join('\n')}\n`);
  if (lines.length > PREVIEW_LINES) term.write(`… ${lines.length - PREVIEW_LINES} more lines\n`);
  if (payload.scaffold === true) {
    term.write(
      `This is a scaffold (${String(payload.notice ?? 'written from templates without a model')}). ` +
        'Edit it in $EDITOR to make it yours.\n',
    );
  }
  const refine = offered(payload, ['refine']).has('refine');
  const menu = [
    'Proceed',
    ...(refine ? ['Refine: say what to improve'] : []),
    'Edit it in $EDITOR',
    'Show the whole SKILL.md',
    'Cancel the job',
  ];
  for (;;) {
    const picked = menu[await choose(term, menu)];
    if (picked === 'Proceed') return { action: 'proceed' };
    if (picked.startsWith('Refine')) {
      return { action: 'refine', feedback: await freeText(term, 'Feedback: ', true) };
    }
    if (picked === 'Cancel the job') return { action: 'cancel' };
    if (picked === 'Show the whole SKILL.md') {
      term.write(`${content}\n`);
      continue;
    }
    const edited = await term.edit(content);
    if (edited === content) {
      term.write('No change was saved.\n');
      continue;
    }
    return { action: 'proceed', content: edited };
  }
}

async function validate(payload: Answer, term: Terminal): Promise<Answer> {
  const report = (payload.report ?? {}) as {
    valid?: boolean;
    qualityScore?: number;
    errors?: { message: string }[];
    warnings?: { message: string }[];
  };
  const score = report.qualityScore === undefined ? '' : `, quality ${report.qualityScore}`;
  term.write(`${report.valid ? 'Valid' : 'NOT valid'}${score}\n`);
  for (const e of report.errors ?? []) term.write(`  error:   ${e.message}\n`);
  for (const w of report.warnings ?? []) term.write(`  warning: ${w.message}\n`);
  if (offered(payload, ['refine']).has('refine')) return feedbackChoice(term, 'refine');
  return (await choose(term, ['Proceed', 'Cancel the job'])) === 0
    ? { action: 'proceed' }
    : { action: 'cancel' };
}

/** A kind this CLI does not know: show the payload, take the answer as JSON. */
async function rawJson(payload: Answer, term: Terminal): Promise<Answer> {
  term.write(`${JSON.stringify(payload, null, 2)}\n`);
  for (;;) {
    const typed = await read(term, 'Answer as a JSON object: ');
    try {
      const value: unknown = JSON.parse(typed);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Answer;
    } catch {
      // asked again below
    }
    term.write('That is not a JSON object, e.g. {"action":"proceed"}.\n');
  }
}
