/** A long operation in progress: `done` stops the display and reports how it ended. */
export interface Activity {
  done(outcome: string): void;
}

const BAR_WIDTH = 24;
const BLOCK = 6;
const FRAME_MS = 80;

/** One frame of an indeterminate bar: a block sliding back and forth. */
export function barFrame(tick: number): string {
  const span = BAR_WIDTH - BLOCK;
  const step = tick % (2 * span);
  const at = step <= span ? step : 2 * span - step;
  return `[${' '.repeat(at)}${'='.repeat(BLOCK)}${' '.repeat(span - at)}]`;
}

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * Shows that a long operation (import, reindex, purge) is running, on stderr so stdout keeps only the
 * result: on a terminal, a moving bar with the elapsed time, redrawn in place and erased at the end;
 * otherwise plain lines, one when it starts and one when it ends. Nothing with --json.
 *
 * The server answers these calls in one reply without intermediate counts, so the bar shows activity
 * and time, not a fraction done.
 */
export function startActivity(
  label: string,
  options: { json: boolean; stream?: NodeJS.WriteStream },
): Activity {
  const stream = options.stream ?? process.stderr;
  const started = Date.now();
  if (options.json) return { done: () => undefined };
  if (!stream.isTTY) {
    stream.write(`${label}…\n`);
    return { done: (outcome) => stream.write(`${label}: ${outcome} (${seconds(started)})\n`) };
  }
  let tick = 0;
  const draw = (): void => {
    stream.write(`\r\x1b[2K${barFrame(tick++)} ${label} ${seconds(started)}`);
  };
  draw();
  const timer = setInterval(draw, FRAME_MS);
  return {
    done: (outcome) => {
      clearInterval(timer);
      stream.write(`\r\x1b[2K${label}: ${outcome} (${seconds(started)})\n`);
    },
  };
}
