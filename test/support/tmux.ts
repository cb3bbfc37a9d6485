import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { cliMain, removeCliWorkDirs } from './cli-run';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/**
 * A program in a real terminal: a detached tmux session on a private tmux server (its own socket in
 * a temporary directory, so nothing else's sessions are touched), driven with send-keys and read with
 * capture-pane.
 */
export class TmuxTerminal {
  private constructor(
    private readonly socket: string,
    private readonly session: string,
    private readonly workDir: string,
  ) {}

  /**
   * Starts `argv` with a clean environment (PATH, HOME, TERM and `env`) in an empty working
   * directory. After the program ends, the pane keeps its last screen and says how it ended.
   */
  static async start(
    name: string,
    argv: string[],
    options: { cols?: number; rows?: number; env?: Record<string, string> } = {},
  ): Promise<TmuxTerminal> {
    const unique = `${name}-${process.pid}-${Date.now().toString(36)}`;
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-tmux-'));
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: workDir,
      TERM: 'xterm-256color',
      ...options.env,
    };
    const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
    const command = [
      'env -i',
      ...Object.entries(env).map(([key, value]) => quote(`${key}=${value}`)),
      ...argv.map(quote),
      '; echo "[exited $?]"; sleep 600',
    ].join(' ');
    // The tmux server's socket lives in the work directory, so removing that removes everything.
    const terminal = new TmuxTerminal(path.join(workDir, 'tmux.sock'), unique, workDir);
    await terminal.tmux(
      'new-session',
      '-d',
      '-s',
      unique,
      '-x',
      String(options.cols ?? 120),
      '-y',
      String(options.rows ?? 40),
      '-c',
      workDir,
      command,
    );
    return terminal;
  }

  /** Named keys (`Enter`, `Tab`, `Down`, `C-c`) or single characters, in order. */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', this.session, ...keys);
  }

  /** Types text literally. */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', this.session, '-l', text);
  }

  /** The visible screen; with `history`, everything printed so far, wrapped lines joined. */
  async screen(history = false): Promise<string> {
    const range = history ? ['-J', '-S', '-5000'] : [];
    const { stdout } = await this.tmux('capture-pane', '-p', ...range, '-t', this.session);
    return stdout;
  }

  /** Polls the screen until `check` passes (returns truthy or stops throwing); returns the screen. */
  async waitFor(
    check: (screen: string) => boolean,
    what: string,
    timeoutMs = 15_000,
    history = false,
  ): Promise<string> {
    let last = '';
    try {
      return await waitFor(
        async () => {
          last = await this.screen(history);
          return check(last) ? last : false;
        },
        { timeoutMs, intervalMs: 100 },
      );
    } catch {
      throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
    }
  }

  /** Waits for `text` on the screen. */
  waitForText(text: string, timeoutMs?: number): Promise<string> {
    return this.waitFor((screen) => screen.includes(text), JSON.stringify(text), timeoutMs);
  }

  /** Ends the session and its private tmux server. */
  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  private tmux(...args: string[]) {
    return run('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }
}

/**
 * For a test file that runs the built CLI in tmux: fails first when there is no build, and after
 * all its tests kills the terminals pushed to the list returned and removes the CLI work folders.
 */
export function builtCliTerminals(): TmuxTerminal[] {
  const terminals: TmuxTerminal[] = [];
  beforeAll(() => {
    if (!fs.existsSync(cliMain)) {
      throw new Error('dist/cli/main.js is missing: run `npm run build` first.');
    }
  });
  afterAll(async () => {
    await Promise.all(terminals.splice(0).map((terminal) => terminal.kill()));
    removeCliWorkDirs();
  });
  return terminals;
}
