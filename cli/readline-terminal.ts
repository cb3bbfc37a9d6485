import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { EndOfInput, Interrupted, Terminal, Withdrawn } from './terminal-prompts';
import { terminalText } from './terminal-text';

/**
 * The real terminal: one readline interface per question (closed before an editor takes the
 * terminal), and `$VISUAL` / `$EDITOR` (else `vi`) on a temporary SKILL.md for edits.
 */
export class ReadlineTerminal implements Terminal {
  /** The interface of the question being asked, if any. */
  private open: readline.Interface | null = null;
  private withdrawing = false;

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stdout,
  ) {}

  /** Prompt and skill text come from the server: written without control sequences. */
  write(text: string): void {
    this.output.write(terminalText(text));
  }

  line(question: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const rl = readline.createInterface({
        input: this.input,
        output: this.output,
        terminal: true,
      });
      this.open = rl;
      let answered = false;
      let interrupted = false;
      rl.on('SIGINT', () => {
        interrupted = true;
        rl.close();
      });
      rl.on('close', () => {
        this.open = null;
        const withdrawn = this.withdrawing;
        this.withdrawing = false;
        if (!answered) {
          this.output.write('\n');
          reject(withdrawn ? new Withdrawn() : interrupted ? new Interrupted() : new EndOfInput());
        }
      });
      rl.question(terminalText(question), (typed) => {
        answered = true;
        rl.close();
        resolve(typed);
      });
    });
  }

  /** Takes back the question being asked (its `line` rejects with `Withdrawn`), if there is one. */
  withdraw(): void {
    if (!this.open) return;
    this.withdrawing = true;
    this.open.close();
  }

  async edit(content: string): Promise<string> {
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skill-fleet-edit-'));
    const file = path.join(dir, 'SKILL.md');
    try {
      fs.writeFileSync(file, content);
      // The editor variable may carry arguments (`code --wait`), so it runs through the shell.
      const result = spawnSync(`${editor} '${file.replace(/'/g, "'\\''")}'`, {
        shell: true,
        stdio: 'inherit',
      });
      if (result.error) throw result.error;
      if (result.status !== 0) {
        this.write(`The editor (${editor}) exited with ${result.status}; the edit is dropped.\n`);
        return content;
      }
      return fs.readFileSync(file, 'utf8');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
