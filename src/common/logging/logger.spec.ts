import { Logger } from '@nestjs/common';
import { createLogger } from './logger';
import { escapeLogText, escapeStack } from './log-text';

/** Everything the logger writes to stdout and stderr while `work` runs. */
function captured(work: () => void): string {
  const chunks: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    work();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks.join('');
}

const FORGED = 'abc\n2026-01-01 LOG [Forged] admin logged in\r\u001b[2J\u2028';

describe('log text', () => {
  it('escapes line breaks, ESC, C1 and the Unicode separators, and keeps tabs and other text', () => {
    expect(escapeLogText('a\tb\nc\rd\u001be\u009bf\u2028g é')).toBe(
      'a\tb\\nc\\rd\\u001be\\u009bf\\u2028g é',
    );
  });

  it('keeps the frame lines of a stack and escapes breaks inside its message', () => {
    const stack = 'Error: one\ntwo\n    at f (a.ts:1:1)\n    at g (b.ts:2:2)';
    expect(escapeStack(stack)).toBe('Error: one\\ntwo\n    at f (a.ts:1:1)\n    at g (b.ts:2:2)');
  });
});

describe.each(['pretty', 'json'] as const)('the %s logger', (logFormat) => {
  const logger = createLogger({ logLevel: 'info', logFormat });

  it('writes a message holding newlines and escape codes as one line without ESC', () => {
    const output = captured(() => logger.warn(`cursor ${FORGED}`, 'Test'));
    expect(output.trimEnd().split('\n')).toHaveLength(1);
    expect(output).not.toContain('\u001b[2J');
    // JSON keeps U+2028 as it is: valid in a JSON string, and no line break to a line reader.
    if (logFormat === 'pretty') expect(output).not.toContain('\u2028');
  });

  it('writes an error stack whose message holds a newline with no line starting with the forged text', () => {
    const error = new Error(`bad id ${FORGED}`);
    const output = captured(() => logger.error('errorId=1 failed', error.stack, 'Test'));
    const lines = output.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('2026-01-01'))).toEqual([]);
    expect(output).not.toContain('\u001b[2J');
    if (logFormat === 'json') expect(lines).toHaveLength(1);
  });

  it('also through a Nest Logger with a context', () => {
    Logger.overrideLogger(logger);
    const output = captured(() => new Logger('Ctx').error(`x ${FORGED}`));
    Logger.overrideLogger(false);
    expect(output.trimEnd().split('\n')).toHaveLength(1);
  });
});
