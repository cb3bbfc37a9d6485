import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { CommandMeta, OptionMeta, SubCommandMeta } from 'nest-commander/src/constants';
import { CliModule } from './cli.module';

/**
 * README's "Command line" section is checked against the commands' own metadata (what `--help` prints):
 * every command and subcommand has a row, and every option of it appears in that row.
 */
interface CommandInfo {
  name: string;
  subCommands?: (new (...args: never[]) => object)[];
}
interface OptionInfo {
  flags: string;
}
type Constructor = new (...args: never[]) => object;

const readmeSection = (): string => {
  const readme = fs.readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
  const start = readme.indexOf('## Command line');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end);
};

/** The long option names (`--older-than`) a command class declares, its base classes' included. */
function optionNames(target: Constructor): string[] {
  const names = new Set<string>();
  for (let proto = target.prototype as object | null; proto && proto !== Object.prototype;) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const method = (target.prototype as Record<string, unknown>)[key];
      if (typeof method !== 'function') continue;
      const meta = Reflect.getMetadata(OptionMeta, method) as OptionInfo | undefined;
      const long = meta?.flags.match(/--(?:no-)?[a-z][a-z-]*/)?.[0];
      if (long) names.add(long);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return [...names];
}

/** `["jobs purge", Class]` for every leaf command (a command without subcommands is its own leaf). */
function leafCommands(): [string, Constructor][] {
  const providers = Reflect.getMetadata(MODULE_METADATA.PROVIDERS, CliModule) as Constructor[];
  const leaves: [string, Constructor][] = [];
  for (const provider of providers) {
    const command = Reflect.getMetadata(CommandMeta, provider) as CommandInfo | undefined;
    if (!command) continue;
    if (!command.subCommands?.length) {
      leaves.push([command.name, provider]);
      continue;
    }
    for (const sub of command.subCommands) {
      const info = Reflect.getMetadata(SubCommandMeta, sub) as CommandInfo;
      leaves.push([`${command.name} ${info.name}`, sub]);
    }
  }
  return leaves;
}

describe('README CLI section', () => {
  const section = readmeSection();
  const rows = section.split('\n').filter((line) => line.startsWith('| `skill-fleet '));
  const leaves = leafCommands();

  it('finds the commands', () => {
    expect(leaves.map(([name]) => name)).toEqual(
      expect.arrayContaining(['serve', 'jobs purge', 'prompts answer', 'tokens create', 'doctor']),
    );
  });

  it.each(leafCommands().map(([name, type]) => [name, type] as const))(
    '`skill-fleet %s` has a row naming each of its options',
    (name, type) => {
      const row = rows.find((r) => r.startsWith(`| \`skill-fleet ${name}`));
      expect(row).toBeDefined();
      const common = ['--url', '--token', '--json'];
      for (const option of optionNames(type)) {
        // The remote commands' common options are described once, above their table.
        if (common.includes(option) && section.includes('Each takes `--url')) {
          if (option !== '--json' || row!.includes('`{')) continue;
        }
        expect(`${name}: ${row!.includes(option) ? option : 'missing'}`).toBe(`${name}: ${option}`);
      }
    },
  );

  it('has no row for a command that does not exist', () => {
    const names = leaves.map(([name]) => name);
    for (const row of rows) {
      const words = row.slice('| `skill-fleet '.length).split(/[\s`]/);
      const two = words.slice(0, 2).join(' ');
      expect(names.includes(two) || names.includes(words[0])).toBe(true);
    }
  });
});
