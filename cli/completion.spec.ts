import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import { bashScript, completionTree, zshScript } from './completion';

/** A small tree like the real one: a group with subcommands, options with colons and quotes. */
function program(): Command {
  const root = new Command('tool');
  const jobs = root.command('jobs').description('Jobs: list | purge');
  jobs.command('list').description('List jobs').option('--status <s>', 'Only these: a,b');
  jobs
    .command('purge')
    .description("Delete jobs' rows")
    .requiredOption('--older-than <age>', 'Age');
  root.command('doctor').description('Check').option('--json', 'JSON');
  return root;
}

describe('completionTree', () => {
  it('has one node per command with its subcommands and long options, --help added', () => {
    const nodes = completionTree(program());
    expect(nodes.map((n) => n.path)).toEqual(['', 'jobs', 'jobs list', 'jobs purge', 'doctor']);
    const top = nodes[0];
    expect(top.commands.map((c) => c.name)).toEqual(['jobs', 'doctor']);
    expect(nodes[2].options).toEqual([
      { name: '--status', description: 'Only these: a,b' },
      { name: '--help', description: 'Show help' },
    ]);
  });
});

describe('bashScript', () => {
  const complete = (words: string[]): string[] =>
    execFileSync(
      'bash',
      [
        '-c',
        `${bashScript('tool', completionTree(program()))}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_tool; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);

  it('completes by position, skipping options typed before', () => {
    expect(complete(['tool', ''])).toEqual(['jobs', 'doctor', '--help']);
    expect(complete(['tool', 'jobs', ''])).toEqual(['list', 'purge', '--help']);
    expect(complete(['tool', 'jobs', 'list', '--s'])).toEqual(['--status']);
    expect(complete(['tool', 'jobs', 'purge', 'x', '--'])).toEqual(['--older-than', '--help']);
    expect(complete(['tool', 'doctor', '--j'])).toEqual(['--json']);
    expect(complete(['tool', 'nope', ''])).toEqual(['jobs', 'doctor', '--help']);
  });
});

describe('zshScript', () => {
  it('describes each word, escaping colons and quotes', () => {
    const script = zshScript('tool', completionTree(program()));
    expect(script).toMatch(/^#compdef tool\n/);
    expect(script).toContain(`"jobs") items=('list:List jobs' 'purge:Delete jobs'\\'' rows'`);
    expect(script).toContain(`'--status:Only these\\: a,b'`);
    expect(script).toContain('compdef _tool tool');
  });
});
