import type { EventFrame } from '#src/client/index';
import { CapturedOutput, isolateExitCode, runCommand } from '#test/support/command-harness';
import { CliOutput } from '../cli-output';
import { CliFailure, Printer } from '../printer';
import { Remote, RemoteOptions } from '../remote';
import { CreateCommand, parsePromptSwitches } from './create.command';

describe('create --prompts', () => {
  it('turns on the kinds listed and turns off the rest', () => {
    expect(parsePromptSwitches('preview, clarify')).toEqual({
      clarify: true,
      structure_fix: false,
      confirm: false,
      preview: true,
      validate: false,
    });
  });

  it('takes all and none', () => {
    expect(Object.values(parsePromptSwitches('all'))).toEqual([true, true, true, true, true]);
    expect(Object.values(parsePromptSwitches('none'))).toEqual([false, false, false, false, false]);
  });

  it('refuses an unknown kind as a usage error (exit 2)', () => {
    expect(() => parsePromptSwitches('clarify,review')).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining('"review"') }),
    );
    expect(() => parsePromptSwitches('all,preview')).toThrow(CliFailure);
  });
});

const RESULT = {
  skillId: '_drafts/j1/pdf-tools',
  name: 'pdf-tools',
  draftPath: '/skills/_drafts/j1/pdf-tools',
  report: { valid: true, errors: [], warnings: [], qualityScore: 0.9 },
};

/** A session whose client records calls and plays a finished job's events. */
class FakeRemote {
  options: RemoteOptions[] = [];
  calls: { method: string; payload: unknown }[] = [];
  async session<T>(options: RemoteOptions, work: (client: unknown) => Promise<T>): Promise<T> {
    this.options.push({ url: options.url, token: options.token });
    const client = {
      call: async (method: string, payload: unknown) => {
        this.calls.push({ method, payload });
        if (method === 'jobs.create') return { job: { id: 'j1', status: 'queued' } };
        return { job: { id: 'j1', status: 'completed', result: RESULT, error: null } };
      },
      subscribeJob: (_jobId: string, onEvent: (event: EventFrame) => void) => {
        const event = (name: string, payload: Record<string, unknown>): EventFrame => ({
          v: 1,
          type: 'event',
          topic: 'job:j1',
          event: name,
          ts: '',
          payload,
        });
        setImmediate(() => {
          onEvent(event('step.started', { step: 'requirements#1' }));
          onEvent(event('job.completed', {}));
        });
      },
    };
    return work(client);
  }
}

describe('create: option parsing through the command', () => {
  let out: CapturedOutput;
  let remote: FakeRemote;
  const stderr: string[] = [];
  let stderrWrite: jest.SpyInstance;

  const run = (...args: string[]) =>
    runCommand(
      {
        providers: [CliOutput, Printer, Remote, CreateCommand],
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
    stderr.length = 0;
    // --json sends progress to stderr; keep it out of the test output and check it.
    stderrWrite = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    stderrWrite.mockRestore();
  });

  it('sends the task, --auto-approve and --prompts to jobs.create; --json prints one document', async () => {
    await run(
      'create',
      'PDF text extraction',
      '--auto-approve',
      '--prompts',
      'preview,validate',
      '--url',
      'ws://h/ws',
      '--token',
      't',
      '--json',
    );
    expect(remote.options).toEqual([{ url: 'ws://h/ws', token: 't' }]);
    expect(remote.calls[0]).toEqual({
      method: 'jobs.create',
      payload: {
        workflow: 'skill.create',
        input: {
          task: 'PDF text extraction',
          options: {
            autoApprove: true,
            prompts: {
              clarify: false,
              structure_fix: false,
              confirm: false,
              preview: true,
              validate: true,
            },
          },
        },
      },
    });
    expect(out.documents).toEqual([
      {
        job: expect.objectContaining({ id: 'j1', status: 'completed' }),
        skill: { id: RESULT.skillId, name: 'pdf-tools', draftPath: RESULT.draftPath },
        report: RESULT.report,
      },
    ]);
    expect(out.lines).toEqual([]);
    expect(stderr.join('')).toContain('step requirements#1 started');
    expect(process.exitCode).toBe(0);
  });

  it('without --prompts leaves the job its default prompts; prints the path and report', async () => {
    await run('create', 'PDF text extraction', '--url', 'ws://h/ws', '--token', 't');
    const create = remote.calls[0].payload as { input: { options: Record<string, unknown> } };
    expect(create.input.options).toEqual({ autoApprove: false });
    expect(out.lines).toEqual(
      expect.arrayContaining([
        'Draft pdf-tools written to /skills/_drafts/j1/pdf-tools.',
        'Report: valid, quality 0.9, 0 errors, 0 warnings',
        'Promote it with: skill-fleet skills promote j1',
      ]),
    );
  });

  it('refuses a bad --prompts before connecting (exit 2)', async () => {
    await run('create', 'x', '--prompts', 'everything', '--json');
    expect(remote.calls).toEqual([]);
    expect(out.documents).toEqual([
      { error: { code: 'USAGE', message: expect.stringContaining('"everything"') } },
    ]);
    expect(process.exitCode).toBe(2);
  });
});
