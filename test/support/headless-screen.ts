import { PassThrough, Readable, Writable } from 'node:stream';
import * as blessed from 'blessed';
import type { Widgets } from 'blessed';

/**
 * A blessed screen with no terminal: keys are written to a fake TTY input, and what was drawn is
 * read back as plain text from `screen.lines`.
 */
export interface HeadlessScreen {
  screen: Widgets.Screen;
  /** Types keys: plain text, or escape sequences such as KEYS.down. */
  type(...keys: string[]): void;
  /** The drawn screen as plain text, one string per row. */
  text(): string[];
  /** The terminal changes size (blessed reacts as to a SIGWINCH). */
  resize(columns: number, rows: number): void;
  destroy(): void;
}

export const KEYS = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  enter: '\r',
  tab: '\t',
  shiftTab: '\x1b[Z',
  escape: '\x1b',
  backspace: '\x7f',
  ctrlC: '\x03',
  space: ' ',
} as const;

export function headlessScreen(columns = 80, rows = 24): HeadlessScreen {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  const output = Object.assign(
    new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    }),
    { isTTY: true, columns, rows },
  );
  const screen = blessed.screen({
    resizeTimeout: 0,
    // @types/blessed has input and output the wrong way round (input: Writable, output: Readable).
    input: input as unknown as Writable,
    output: output as unknown as Readable,
    terminal: 'xterm-256color',
    warnings: false,
  });
  // blessed keeps each cell as [attributes, character]; the text is the characters.
  type Cell = [number, string];
  const lines = () => (screen as unknown as { lines: Cell[][] }).lines;
  return {
    screen,
    type: (...keys) => {
      // One write per key, so an escape is not read as the start of the next key's sequence.
      for (const key of keys) input.write(key);
    },
    text: () => lines().map((row) => row.map((cell) => cell[1]).join('')),
    resize: (newColumns, newRows) => {
      Object.assign(output, { columns: newColumns, rows: newRows });
      output.emit('resize');
    },
    destroy: () => screen.destroy(),
  };
}
