import {
  helpText,
  InputBuffer,
  MAX_INPUT_CHARS,
  MAX_INPUT_LINES,
  parseChatInput,
  SLASH_COMMANDS,
  splitWords,
} from './chat-input';

/** Pushes each line; returns every result. */
const feed = (buffer: InputBuffer, lines: string[]) => lines.map((line) => buffer.push(line));

describe('InputBuffer', () => {
  it('takes one line as one input', () => {
    expect(new InputBuffer().push('  Python asyncio basics ')).toEqual({
      kind: 'done',
      text: 'Python asyncio basics',
      multiLine: false,
    });
  });

  it('goes on after a trailing backslash, joining the lines with newlines', () => {
    const buffer = new InputBuffer();
    const results = feed(buffer, [
      'Deploy runbooks \\',
      'for the payments team\\',
      'with rollback',
    ]);
    expect(results.slice(0, 2)).toEqual([{ kind: 'more' }, { kind: 'more' }]);
    expect(results[2]).toEqual({
      kind: 'done',
      text: 'Deploy runbooks \nfor the payments team\nwith rollback',
      multiLine: true,
    });
    expect(buffer.pending).toBe(false);
  });

  it('shows the continuation prompt while an input goes on', () => {
    const buffer = new InputBuffer();
    expect(buffer.prompt('chat> ', '...> ')).toBe('chat> ');
    buffer.push('first \\');
    expect(buffer.prompt('chat> ', '...> ')).toBe('...> ');
  });

  it('reads a """ block to the closing fence, blank lines and backslashes kept', () => {
    const buffer = new InputBuffer();
    const results = feed(buffer, ['"""', 'A skill for:', '', '- C:\\temp paths \\', '"""']);
    expect(results.slice(0, 4).every((r) => r.kind === 'more')).toBe(true);
    expect(results[4]).toEqual({
      kind: 'done',
      text: 'A skill for:\n\n- C:\\temp paths \\',
      multiLine: true,
    });
  });

  it('takes text on the fence lines, and a block on one line', () => {
    const buffer = new InputBuffer();
    expect(feed(buffer, ['"""first line', 'last line"""']).at(-1)).toEqual({
      kind: 'done',
      text: 'first line\nlast line',
      multiLine: true,
    });
    expect(buffer.push('"""/not a command"""')).toEqual({
      kind: 'done',
      text: '/not a command',
      multiLine: true,
    });
  });

  it('clear() drops a pending input (Ctrl-C)', () => {
    const buffer = new InputBuffer();
    buffer.push('"""');
    buffer.push('half a thought');
    buffer.clear();
    expect(buffer.pending).toBe(false);
    expect(buffer.push('fresh')).toEqual({ kind: 'done', text: 'fresh', multiLine: false });
  });

  it('refuses an input past the task limit, and one past the line limit, and starts over', () => {
    const buffer = new InputBuffer();
    const long = buffer.push('x'.repeat(MAX_INPUT_CHARS + 1));
    expect(long).toEqual({ kind: 'error', message: expect.stringContaining('at most 10000') });
    buffer.push('"""');
    const chunk = 'y'.repeat(4000);
    const results = feed(buffer, [chunk, chunk, chunk]);
    expect(results.at(-1)).toEqual({
      kind: 'error',
      message: expect.stringContaining('longer than 10000 characters'),
    });
    expect(buffer.pending).toBe(false);
    buffer.push('"""');
    const lines = feed(
      buffer,
      Array.from({ length: MAX_INPUT_LINES + 1 }, () => 'z'),
    );
    expect(lines.at(-1)).toEqual({
      kind: 'error',
      message: `The input spans more than ${MAX_INPUT_LINES} lines; it was dropped.`,
    });
    expect(buffer.pending).toBe(false);
  });
});

describe('parseChatInput', () => {
  it('reads a line as a task, and a blank one as nothing', () => {
    expect(parseChatInput('Python asyncio basics', false)).toEqual({
      kind: 'task',
      task: 'Python asyncio basics',
    });
    expect(parseChatInput('   ', false)).toEqual({ kind: 'empty' });
  });

  it('reads slash commands with their arguments, case-insensitively', () => {
    expect(parseChatInput('/help', false)).toEqual({ kind: 'command', name: 'help', args: [] });
    expect(parseChatInput('/RESUME  a1b2c3', false)).toEqual({
      kind: 'command',
      name: 'resume',
      args: ['a1b2c3'],
    });
    expect(parseChatInput('/sources docs/ "my notes.md" runbook.md', false)).toEqual({
      kind: 'command',
      name: 'sources',
      args: ['docs/', 'my notes.md', 'runbook.md'],
    });
    expect(parseChatInput('/cancel', false)).toEqual({ kind: 'command', name: 'cancel', args: [] });
  });

  it('refuses an unknown command and a wrong number of arguments, with the usage', () => {
    expect(parseChatInput('/quit', false)).toEqual({
      kind: 'error',
      message: 'Unknown command /quit; /help lists the commands.',
    });
    expect(parseChatInput('/resume', false)).toEqual({
      kind: 'error',
      message: 'Usage: /resume ID',
    });
    expect(parseChatInput('/status now', false)).toEqual({
      kind: 'error',
      message: 'Usage: /status',
    });
    const many = Array.from({ length: 21 }, (_, i) => `f${i}`).join(' ');
    expect(parseChatInput(`/sources ${many}`, false)).toEqual({
      kind: 'error',
      message: 'Usage: /sources PATH… (at most 20)',
    });
  });

  it('takes //text as a task starting with a slash, and never reads a block as a command', () => {
    expect(parseChatInput('//etc/hosts explained', false)).toEqual({
      kind: 'task',
      task: '/etc/hosts explained',
    });
    expect(parseChatInput('/exit', true)).toEqual({ kind: 'task', task: '/exit' });
  });
});

describe('splitWords', () => {
  it('splits on blanks and keeps quoted blanks', () => {
    expect(splitWords(`a  "b c" 'd e' f`)).toEqual(['a', 'b c', 'd e', 'f']);
    expect(splitWords('"unclosed quote')).toEqual(['unclosed quote']);
    expect(splitWords('')).toEqual([]);
  });
});

describe('helpText', () => {
  it('names every command and both ways of typing several lines', () => {
    const help = helpText();
    for (const name of Object.keys(SLASH_COMMANDS)) expect(help).toContain(`/${name}`);
    expect(help).toContain('end a line with \\');
    expect(help).toContain('"""');
  });
});
