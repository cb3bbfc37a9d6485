/**
 * What a person types at `skill-fleet chat`: lines gathered into one input (a trailing `\` goes on to
 * the next line; a `"""` line opens a block that the next `"""` closes), then read as a task or a
 * slash command. Pure, so the rules are tested without a terminal.
 */

/** The server takes a task of at most 10,000 characters (SkillCreateInputDto). */
export const MAX_INPUT_CHARS = 10_000;
/** Lines one input may span. */
export const MAX_INPUT_LINES = 500;

export const BLOCK_FENCE = '"""';

export type BufferResult =
  | { kind: 'more' }
  | { kind: 'done'; text: string; multiLine: boolean }
  | { kind: 'error'; message: string };

/** Gathers typed lines into one input. */
export class InputBuffer {
  private lines: string[] = [];
  private inBlock = false;

  /** True while an input is under way (a continuation or an open block). */
  get pending(): boolean {
    return this.lines.length > 0 || this.inBlock;
  }

  /** The prompt for the next line: `chat> ` first, `...> ` while an input goes on. */
  prompt(first: string, more: string): string {
    return this.pending ? more : first;
  }

  clear(): void {
    this.lines = [];
    this.inBlock = false;
  }

  push(line: string): BufferResult {
    const result = this.add(line);
    if (result.kind !== 'more') return result;
    const size = this.lines.reduce((sum, l) => sum + l.length + 1, 0);
    if (size > MAX_INPUT_CHARS + 1 || this.lines.length > MAX_INPUT_LINES) {
      this.clear();
      return {
        kind: 'error',
        message:
          size > MAX_INPUT_CHARS + 1
            ? `The input is longer than ${MAX_INPUT_CHARS} characters (a task's limit); it was dropped.`
            : `The input spans more than ${MAX_INPUT_LINES} lines; it was dropped.`,
      };
    }
    return result;
  }

  private add(line: string): BufferResult {
    if (this.inBlock) {
      const end = line.trimEnd();
      if (end.endsWith(BLOCK_FENCE)) {
        this.lines.push(end.slice(0, -BLOCK_FENCE.length));
        return this.finish(true);
      }
      this.lines.push(line);
      return { kind: 'more' };
    }
    const start = line.trimStart();
    if (this.lines.length === 0 && start.startsWith(BLOCK_FENCE)) {
      const rest = start.slice(BLOCK_FENCE.length);
      const end = rest.trimEnd();
      if (end.endsWith(BLOCK_FENCE)) {
        this.lines.push(end.slice(0, -BLOCK_FENCE.length));
        return this.finish(true);
      }
      this.inBlock = true;
      if (rest.trim()) this.lines.push(rest);
      return { kind: 'more' };
    }
    if (line.endsWith('\\')) {
      this.lines.push(line.slice(0, -1));
      return { kind: 'more' };
    }
    this.lines.push(line);
    return this.finish(this.lines.length > 1);
  }

  private finish(multiLine: boolean): BufferResult {
    const text = this.lines.join('\n').trim();
    this.clear();
    if (text.length > MAX_INPUT_CHARS) {
      return {
        kind: 'error',
        message: `The input is ${text.length} characters; a task may have at most ${MAX_INPUT_CHARS}. It was dropped.`,
      };
    }
    return { kind: 'done', text, multiLine };
  }
}

export const SLASH_COMMANDS = {
  help: { args: '', min: 0, max: 0, about: 'show this help' },
  status: { args: '', min: 0, max: 0, about: "the current job's status, step and open prompt" },
  jobs: { args: '', min: 0, max: 0, about: "this session's jobs and every job waiting for you" },
  cancel: { args: '[ID]', min: 0, max: 1, about: 'cancel the current job (or job ID)' },
  resume: {
    args: 'ID',
    min: 1,
    max: 1,
    about: 'follow job ID (a 6+ character prefix works) and answer its open prompt',
  },
  sources: {
    args: 'PATH…',
    min: 0,
    max: 20,
    about: 'ground the next task in these files or folders; alone: show them; --clear: drop them',
  },
  exit: {
    args: '',
    min: 0,
    max: 0,
    about: 'leave (jobs go on; waiting ones say how to come back)',
  },
} as const;

export type SlashCommandName = keyof typeof SLASH_COMMANDS;

export type ChatInput =
  | { kind: 'empty' }
  | { kind: 'task'; task: string }
  | { kind: 'command'; name: SlashCommandName; args: string[] }
  | { kind: 'error'; message: string };

const isCommandName = (name: string): name is SlashCommandName =>
  Object.prototype.hasOwnProperty.call(SLASH_COMMANDS, name);

/**
 * Reads one gathered input. A single line starting with `/` is a slash command (`//…` is a task
 * that starts with `/`); a block or continued lines are always a task.
 */
export function parseChatInput(text: string, multiLine: boolean): ChatInput {
  const trimmed = text.trim();
  if (!trimmed) return { kind: 'empty' };
  if (multiLine || !trimmed.startsWith('/')) return { kind: 'task', task: trimmed };
  if (trimmed.startsWith('//')) return { kind: 'task', task: trimmed.slice(1) };
  const [word, ...rest] = splitWords(trimmed.slice(1));
  const name = (word ?? '').toLowerCase();
  if (!isCommandName(name)) {
    return { kind: 'error', message: `Unknown command /${word ?? ''}; /help lists the commands.` };
  }
  const spec = SLASH_COMMANDS[name];
  if (rest.length < spec.min || rest.length > spec.max) {
    return {
      kind: 'error',
      message: `Usage: /${name}${spec.args ? ` ${spec.args}` : ''}${spec.max > 1 ? ` (at most ${spec.max})` : ''}`,
    };
  }
  return { kind: 'command', name, args: rest };
}

/** Words separated by blanks; `"…"` or `'…'` keeps blanks in one word (a path with spaces). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"?|'([^']*)'?|(\S+)/g;
  for (const match of text.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]);
  return words;
}

/** The /help text. */
export function helpText(): string {
  const rows = Object.entries(SLASH_COMMANDS).map(([name, spec]) => {
    const usage = `/${name}${spec.args ? ` ${spec.args}` : ''}`;
    return `  ${usage.padEnd(16)} ${spec.about}`;
  });
  return [
    'Type a task and press Enter to create a skill. Longer input:',
    '  end a line with \\ to go on to the next one, or',
    `  put the text between two ${BLOCK_FENCE} lines.`,
    'Commands:',
    ...rows,
    'At a question: /cancel cancels the job, /status, /jobs, /help, /exit work too.',
    'Ctrl-C clears the input, or stops following a job (it goes on). Ctrl-D leaves.',
    'A task starting with / is typed as //task.',
  ].join('\n');
}
