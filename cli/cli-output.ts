import { Injectable } from '@nestjs/common';

/**
 * Where commands print. Human lines go to stdout and problems to stderr; tests replace this provider
 * to capture output instead of stubbing console.
 */
@Injectable()
export class CliOutput {
  line(text = ''): void {
    process.stdout.write(`${text}\n`);
  }

  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  problem(text: string): void {
    process.stderr.write(`${text}\n`);
  }
}
