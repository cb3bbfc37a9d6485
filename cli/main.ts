#!/usr/bin/env node
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { packageVersion } from '../src/common/package-version';
import { ConfigError } from '../src/config/environment';
import { CliModule } from './cli.module';
import { EXIT_REFUSED, EXIT_USAGE } from './exit-codes';
import { terminalJson, terminalText } from './terminal-text';
import { UsageError } from './usage-error';

const verbose = process.argv.includes('--verbose');
/**
 * `--json` anywhere on the line asks for errors as JSON too, except `prompts answer ID --json '{…}'`
 * (protocol.md's form, where the value is the answer and the output stays readable).
 */
const jsonAt = process.argv.indexOf('--json');
const json = jsonAt >= 0 && !process.argv[jsonAt + 1]?.trimStart().startsWith('{');

/** protocol.md §3: with --json, an error is `{error: {code, message}}` on stdout and nothing else. */
function printJsonError(code: string, message: string): void {
  process.stdout.write(`${terminalJson({ error: { code, message } })}\n`);
}

/** One clear line (or block, for configuration) per failure; a stack only with --verbose. */
function fail(error: unknown): never {
  const err = error instanceof Error ? error : new Error(String(error));
  const usage =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err as { code?: string }).code?.startsWith('commander.');
  if (json) {
    printJsonError(
      err instanceof ConfigError ? 'CONFIG' : usage ? 'USAGE' : 'INTERNAL',
      err.message,
    );
    if (verbose && err.stack) process.stderr.write(`${terminalText(err.stack)}\n`);
    process.exit(usage ? EXIT_USAGE : EXIT_REFUSED);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(
      `${terminalText(err.message)}\nFix the variables above (see .env.example) and start again.\n`,
    );
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`skill-fleet: ${terminalText(err.message)}\n`);
  if (verbose && err.stack) process.stderr.write(`${terminalText(err.stack)}\n`);
  process.exit(usage ? EXIT_USAGE : EXIT_REFUSED);
}

async function main(): Promise<void> {
  const app = await CommandFactory.createWithoutRunning(CliModule, {
    cliName: 'skill-fleet',
    version: packageVersion(),
    logger: ['error'],
    errorHandler: (error) => {
      // commander prints its own message for help/version and usage errors.
      if ((error as { code?: string }).code === 'commander.helpDisplayed') process.exit(0);
      if ((error as { code?: string }).code === 'commander.version') process.exit(0);
      process.exit(EXIT_USAGE);
    },
    serviceErrorHandler: fail,
    // Subcommands don't inherit commander's exitOverride, so their usage errors would exit 1;
    // every usage error goes through here, so exit 2 as protocol.md §3 says, as JSON with --json.
    outputConfiguration: {
      outputError: (message, write) => {
        // commander's own usage errors (unknown option, missing argument …): "error: …\n".
        if (json) printJsonError('USAGE', message.replace(/^error: /, '').trim());
        else write(message);
        process.exit(EXIT_USAGE);
      },
    },
  });
  await CommandFactory.runApplication(app);
  await app.close();
}

main().catch(fail);
