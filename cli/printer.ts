import { Injectable } from '@nestjs/common';
import { CliOutput } from './cli-output';
import { EXIT_REFUSED, EXIT_USAGE } from './exit-codes';

/** A failure a command reports: a code (the server's, or the CLI's own), one line, a hint, an exit code. */
export class CliFailure extends Error {
  override name = 'CliFailure';

  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: typeof EXIT_REFUSED | typeof EXIT_USAGE,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A mistake in the command line found by the command itself (exit 2). */
export const usageFailure = (message: string, hint?: string): CliFailure =>
  new CliFailure('USAGE', message, EXIT_USAGE, hint ?? 'See --help for the options.');

export interface Column<T> {
  header: string;
  value(row: T): string;
}

/**
 * The one place the remote commands print: a readable table or key/value block by default, exactly
 * one JSON document on stdout with `--json`, and failures as one line with a hint (or
 * `{error: {code, message}}` on stdout with `--json`).
 */
@Injectable()
export class Printer {
  constructor(private readonly out: CliOutput) {}

  /** Prints `document` as JSON, or calls `human` to print it for people. */
  result(json: boolean, document: object, human: () => void): void {
    if (json) this.out.json(document);
    else human();
  }

  line(text = ''): void {
    this.out.line(text);
  }

  table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
    if (rows.length === 0) {
      this.out.line(empty);
      return;
    }
    const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
    const widths = columns.map((c, i) =>
      Math.max(c.header.length, ...cells.map((r) => r[i].length)),
    );
    const format = (values: string[]): string =>
      values
        .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    this.out.line(format(columns.map((c) => c.header)));
    for (const row of cells) this.out.line(format(row));
  }

  /** `key: value` lines, keys aligned. */
  fields(entries: readonly [string, string][]): void {
    const width = Math.max(...entries.map(([k]) => k.length));
    for (const [key, value] of entries) this.out.line(`${`${key}:`.padEnd(width + 1)} ${value}`);
  }

  /** Reports a failure and sets the exit code; nothing else is printed on stdout with `--json`. */
  fail(json: boolean, failure: CliFailure): void {
    if (json) this.out.json({ error: { code: failure.code, message: failure.message } });
    else {
      this.out.problem(`skill-fleet: ${failure.message}`);
      if (failure.hint) this.out.problem(`hint: ${failure.hint}`);
    }
    process.exitCode = failure.exitCode;
  }
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ');

/** `2026-11-24T00:01:19.123Z` → `2026-11-24 00:01:19`; empty for null. */
export const when = (iso: string | null | undefined): string =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '';
