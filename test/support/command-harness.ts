import type { Provider } from '@nestjs/common';
import { CommandTestFactory } from 'nest-commander-testing';
import { CliOutput } from '#cli/cli-output';

/** A CliOutput that keeps what a command prints, for the test to read. */
export class CapturedOutput extends CliOutput {
  lines: string[] = [];
  documents: unknown[] = [];
  problems: string[] = [];
  override line(text = ''): void {
    this.lines.push(text);
  }
  override json(value: unknown): void {
    this.documents.push(value);
  }
  override problem(text: string): void {
    this.problems.push(text);
  }
}

export interface CommandRun {
  /** the CLI's providers: commands and what they inject */
  providers: Provider[];
  /** providers replaced by test doubles, e.g. `[[CliOutput, out], [Remote, fake]]` */
  overrides?: [token: unknown, value: unknown][];
  /** receives the errors a command throws, instead of nest-commander's default handling */
  serviceErrorHandler?: (error: Error) => void;
}

/** Runs the CLI with `args` (`['jobs', 'list', '--json']`) on a testing module built from `setup`. */
export async function runCommand(setup: CommandRun, args: string[]): Promise<void> {
  let builder = CommandTestFactory.createTestingCommand(
    { imports: [], providers: setup.providers },
    setup.serviceErrorHandler && { serviceErrorHandler: setup.serviceErrorHandler },
  );
  for (const [token, value] of setup.overrides ?? []) {
    builder = builder.overrideProvider(token).useValue(value);
  }
  await CommandTestFactory.run(await builder.compile(), args);
}

/**
 * For the enclosing describe: each test starts with no `process.exitCode`, and the value from before
 * is put back after it, so one command's exit code never leaks into another test.
 */
export function isolateExitCode(): void {
  let before: typeof process.exitCode;
  beforeEach(() => {
    before = process.exitCode;
    process.exitCode = undefined;
  });
  afterEach(() => {
    process.exitCode = before;
  });
}
