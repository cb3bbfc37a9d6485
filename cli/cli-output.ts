import { Injectable } from '@nestjs/common';
import { terminalJson, terminalText } from './terminal-text';

/**
 * Where commands print. Human lines go to stdout and problems to stderr, with no control sequence
 * from the text they carry (skill content, prompts, task and error text come from elsewhere); tests
 * replace this provider to capture output instead of stubbing console.
 */
@Injectable()
export class CliOutput {
  line(text = ''): void {
    process.stdout.write(`${terminalText(text)}\n`);
  }

  json(value: unknown): void {
    process.stdout.write(`${terminalJson(value)}\n`);
  }

  problem(text: string): void {
    process.stderr.write(`${terminalText(text)}\n`);
  }
}
