import { CapturedOutput, isolateExitCode, runCommand } from '#test/support/command-harness';
import { CliOutput } from '../cli-output';
import { Printer } from '../printer';
import { Remote, RemoteOptions } from '../remote';
import { JobsCommand, JobsListCommand, JobsPurgeCommand, JobsShowCommand } from './jobs.command';
import { PromptsAnswerCommand, PromptsCommand, PromptsListCommand } from './prompts.command';
import { SkillsCommand, SkillsImportCommand, SkillsPromoteCommand } from './skills.command';
import { TokensCommand, TokensCreateCommand } from './tokens.command';

interface Call {
  options: RemoteOptions;
  method: string;
  payload: unknown;
}

/** Records each call and answers with `replies[method]`, else `reply`; ids resolve to themselves. */
class FakeRemote {
  calls: Call[] = [];
  reply: unknown = {};
  replies: Record<string, unknown> = {};
  async call(options: RemoteOptions, method: string, payload: unknown): Promise<unknown> {
    this.calls.push({ options: { url: options.url, token: options.token }, method, payload });
    return method in this.replies ? this.replies[method] : this.reply;
  }
  async session<T>(options: RemoteOptions, work: (client: unknown) => Promise<T>): Promise<T> {
    return work({
      call: (method: string, payload: unknown) => this.call(options, method, payload),
    });
  }
  async resolveId(_options: RemoteOptions, _kind: string, value: string): Promise<string> {
    return value;
  }
}

describe('remote commands: option parsing and output', () => {
  let out: CapturedOutput;
  let remote: FakeRemote;

  const run = (...args: string[]) =>
    runCommand(
      {
        providers: [
          CliOutput,
          Printer,
          Remote,
          JobsCommand,
          JobsListCommand,
          JobsShowCommand,
          JobsPurgeCommand,
          PromptsCommand,
          PromptsListCommand,
          PromptsAnswerCommand,
          SkillsCommand,
          SkillsImportCommand,
          SkillsPromoteCommand,
          TokensCommand,
          TokensCreateCommand,
        ],
        overrides: [
          [CliOutput, out],
          [Remote, remote],
        ],
      },
      args,
    );

  isolateExitCode();
  beforeEach(() => {
    out = new CapturedOutput();
    remote = new FakeRemote();
  });

  it('jobs list: statuses, limit, --url and --token reach the call; --json prints the reply', async () => {
    remote.reply = { jobs: [], nextCursor: null };
    await run(
      'jobs',
      'list',
      '--status',
      'running,waiting',
      '--limit',
      '5',
      '--url',
      'ws://h/ws',
      '--token',
      't',
      '--json',
    );
    expect(remote.calls).toEqual([
      {
        options: { url: 'ws://h/ws', token: 't' },
        method: 'jobs.list',
        payload: { status: ['running', 'waiting'], limit: 5 },
      },
    ]);
    expect(out.documents).toEqual([{ jobs: [], nextCursor: null }]);
    expect(out.lines).toEqual([]);
  });

  it('jobs list: an unknown status is a usage error (exit 2) and nothing is called', async () => {
    await run('jobs', 'list', '--status', 'sleeping', '--json');
    expect(remote.calls).toEqual([]);
    expect(out.documents).toEqual([
      { error: { code: 'USAGE', message: expect.stringContaining('sleeping') } },
    ]);
    expect(process.exitCode).toBe(2);
  });

  it.each([
    ['30d', 30],
    ['7', 7],
    ['0d', 0],
  ])('jobs purge --older-than %s → olderThanDays %d', async (age, days) => {
    remote.reply = { purged: 3 };
    await run('jobs', 'purge', '--older-than', age, '--yes');
    expect(remote.calls).toEqual([
      expect.objectContaining({ method: 'jobs.purge', payload: { olderThanDays: days } }),
    ]);
    expect(out.lines).toEqual(['Purged 3 jobs.']);
  });

  it('jobs purge without --yes and without a terminal refuses before calling (exit 2)', async () => {
    await run('jobs', 'purge', '--older-than', '0d');
    expect(remote.calls).toEqual([]);
    expect(process.exitCode).toBe(2);
    expect(out.problems.join('\n')).toMatch(/Not on a terminal[\s\S]*--yes/);
  });

  it('jobs purge --dry-run asks the server what would go and lists it', async () => {
    remote.reply = { purged: 0, wouldPurge: { count: 2, jobIds: ['j1', 'j2'] } };
    await run('jobs', 'purge', '--older-than', '30d', '--dry-run');
    expect(remote.calls).toEqual([
      expect.objectContaining({
        method: 'jobs.purge',
        payload: { olderThanDays: 30, dryRun: true },
      }),
    ]);
    expect(out.lines).toEqual([
      'Would purge 2 jobs finished over 30 days ago (nothing deleted).',
      '  j1',
      '  j2',
    ]);
  });

  it.each(['30h', 'soon', '-1d', '1.5d'])(
    'jobs purge --older-than %s is a usage error',
    async (age) => {
      await run('jobs', 'purge', '--older-than', age);
      expect(remote.calls).toEqual([]);
      expect(process.exitCode).toBe(2);
      expect(out.problems[0]).toMatch(/^skill-fleet: --older-than/);
    },
  );

  it('prompts answer: --answer with --json output', async () => {
    remote.reply = { prompt: { id: 'p1', status: 'answered' } };
    await run('prompts', 'answer', 'p1', '--answer', '{"action":"proceed"}', '--json');
    expect(remote.calls[0]).toEqual(
      expect.objectContaining({
        method: 'prompts.answer',
        payload: { promptId: 'p1', answer: { action: 'proceed' } },
      }),
    );
    expect(out.documents).toEqual([{ prompt: { id: 'p1', status: 'answered' } }]);
  });

  it("prompts answer: the protocol's --json '<answer>' is the answer; the output stays readable", async () => {
    remote.reply = { prompt: { id: 'p1', status: 'answered' } };
    await run('prompts', 'answer', 'p1', '--json', '{"action":"proceed"}');
    expect(remote.calls[0].payload).toEqual({ promptId: 'p1', answer: { action: 'proceed' } });
    expect(out.documents).toEqual([]);
    expect(out.lines).toEqual(['Prompt p1 is answered.']);
  });

  it.each([
    [['--answer', '[1]']],
    [['--answer', 'nope']],
    [['--answer', '{}', '--json', '{}']],
    [[]],
  ])('prompts answer %j is a usage error', async (extra) => {
    await run('prompts', 'answer', 'p1', ...extra);
    expect(remote.calls).toEqual([]);
    expect(process.exitCode).toBe(2);
  });

  it('skills import resolves DIR to an absolute path; promote passes --overwrite', async () => {
    remote.reply = { imported: 0, rejected: [] };
    await run('skills', 'import', 'some/dir');
    expect(remote.calls[0].payload).toEqual({ path: `${process.cwd()}/some/dir` });
    remote.reply = { skill: { id: 's', path: 'a/b' } };
    await run('skills', 'promote', 'job-1', '--overwrite');
    expect(remote.calls[1].payload).toEqual({ jobId: 'job-1', overwrite: true });
  });

  it('tokens create: role defaults to user; --read-only; a bad role is a usage error', async () => {
    remote.reply = { id: 'i', token: 'secret', userId: 'u', role: 'user', readOnly: true };
    await run('tokens', 'create', '--user', 'u', '--read-only');
    expect(remote.calls[0].payload).toEqual({ userId: 'u', role: 'user', readOnly: true });
    expect(out.lines.join('\n')).toContain('secret');
    await run('tokens', 'create', '--user', 'u', '--role', 'root');
    expect(remote.calls).toHaveLength(1);
    expect(process.exitCode).toBe(2);
  });

  it('jobs show prints a readable block with the task and the steps', async () => {
    remote.replies['jobs.steps'] = {
      steps: [
        {
          name: 'plan',
          status: 'completed',
          attempt: 1,
          durationMs: 1500,
          usage: { totalTokens: 42 },
        },
      ],
    };
    remote.reply = {
      job: {
        id: 'j1',
        input: { task: 'Write a skill for PDF forms' },
        workflow: 'w',
        status: 'completed',
        currentStep: null,
        progress: { percent: 100, message: null },
        attempts: 1,
        ownerId: 'admin',
        openPromptId: null,
        error: null,
        createdAt: '2026-01-01T00:00:00.000Z',
        startedAt: null,
        finishedAt: null,
      },
    };
    await run('jobs', 'show', 'j1');
    expect(out.lines).toContain('status:   completed');
    expect(out.lines).toContain('task:     Write a skill for PDF forms');
    expect(out.lines).toContain('created:  2026-01-01 00:00:00');
    expect(out.lines).toContain('plan  completed  1.5 s     42      1');
  });
});
