import { usageFailure } from './printer';
import { ReadlineTerminal } from './readline-terminal';

/**
 * Asks a yes/no question on the terminal. Without a terminal there is nobody to ask: a usage
 * failure (exit 2) that names `--yes`, and nothing is done.
 */
export async function confirmAtTerminal(
  question: string,
  hint = 'Pass --yes to delete without asking.',
): Promise<boolean> {
  assertTerminal(hint);
  try {
    return /^y(es)?$/i.test((await new ReadlineTerminal().line(question)).trim());
  } catch {
    return false;
  }
}

/** Throws the usage failure of confirmAtTerminal when there is no terminal to ask at. */
export function assertTerminal(hint: string): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw usageFailure('Not on a terminal, so nothing was deleted', hint);
  }
}
