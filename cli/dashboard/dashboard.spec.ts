import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SkillFleetError } from '#src/client/index';
import type { Prompt } from '#src/client/index';
import { job, jobEvent, prompt, skill, stepInfo } from '#test/support/dashboard-fixtures';
import { headlessScreen, HeadlessScreen, KEYS } from '#test/support/headless-screen';
import type { Commands } from './connection';
import { Dashboard } from './dashboard';
import { initialState, Store } from './store';
import { sleep } from '#test/support/wait-for';

/** Every view on a headless 80×24 screen: keys in, text out. */

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function fakeCommands(): jest.Mocked<Commands> {
  return {
    createJob: jest.fn(),
    cancelJob: jest.fn(),
    retryJob: jest.fn(),
    rewindJob: jest.fn(),
    jobSteps: jest.fn().mockResolvedValue([]),
    answerPrompt: jest.fn(),
    getSkill: jest.fn(),
    searchSkills: jest.fn(),
    promote: jest.fn(),
    listDrafts: jest.fn().mockResolvedValue([]),
    deleteDraft: jest.fn(),
  };
}

describe('dashboard views (headless 80×24)', () => {
  let head: HeadlessScreen;
  let store: Store;
  let commands: jest.Mocked<Commands>;
  let dashboard: Dashboard;
  let quit: jest.Mock;

  /** Types keys, lets blessed read them, draws, and returns the screen text. */
  const press = async (...keys: string[]): Promise<string> => {
    for (const key of keys) {
      head.type(key);
      await tick();
    }
    return draw();
  };
  const draw = async (): Promise<string> => {
    await tick();
    dashboard.render.flush();
    return head.text().join('\n');
  };

  beforeEach(() => {
    head = headlessScreen(80, 24);
    store = new Store(initialState('ws://127.0.0.1:3000/ws', 'alice'));
    commands = fakeCommands();
    quit = jest.fn();
    dashboard = new Dashboard({ screen: head.screen, store, commands, onQuit: quit, frameMs: 5 });
  });
  afterEach(() => {
    dashboard.destroy();
    head.destroy();
  });

  describe('Jobs', () => {
    beforeEach(() => {
      store.dispatch({
        type: 'jobs.listed',
        jobs: [
          job('aaaaaaaa-1', {
            input: { task: 'python asyncio' },
            status: 'running',
            currentStep: 'generate#1',
            progress: { percent: 50, message: 'Writing' },
            createdAt: '2026-11-23T21:00:02.000Z',
          }),
          job('bbbbbbbb-2', { input: { task: 'docker compose' }, status: 'failed' }),
        ],
      });
      store.dispatch({ type: 'select.job', jobId: 'aaaaaaaa-1' });
    });

    it('shows the table with status words and progress bars, and the selected job', async () => {
      store.dispatch({
        type: 'job.event',
        jobId: 'aaaaaaaa-1',
        frame: jobEvent('aaaaaaaa-1', 1, 'step.started', { step: 'plan', attempt: 1 }),
      });
      store.dispatch({
        type: 'job.event',
        jobId: 'aaaaaaaa-1',
        frame: jobEvent('aaaaaaaa-1', 2, 'step.completed', { step: 'plan', durationMs: 1500 }),
      });
      store.dispatch({
        type: 'job.event',
        jobId: 'aaaaaaaa-1',
        frame: jobEvent('aaaaaaaa-1', undefined, 'token', { step: 'generate#1', text: '# Title' }),
      });
      const text = await draw();
      expect(text).toContain('1 Jobs');
      expect(text).toContain('Jobs (2/2)');
      expect(text).toMatch(/aaaaaaaa python asyncio\s+running\s+plan\s+\[####\.\.\.\.\]\s+50%/);
      expect(text).toMatch(/bbbbbbbb docker compose\s+failed/);
      expect(text).toMatch(/plan\s+completed\s+1\.5s/);
      expect(text).toContain('Events (2, seq 1-2)');
      expect(text).toContain('#2 21:00:02 step.completed plan 1.5s');
      expect(text).toContain('# Title');
      expect(text).toContain('user alice');
    });

    it('moves the selection with the arrows and filters with /', async () => {
      let text = await press(KEYS.down);
      expect(store.state.selectedJobId).toBe('bbbbbbbb-2');
      expect(text).toContain('Steps · bbbbbbbb');
      text = await press('/', 'd', 'o', 'c', KEYS.enter);
      expect(text).toContain('Jobs (1/2) filter: doc');
      expect(text).not.toContain('python asyncio');
      text = await press('/', KEYS.escape);
      expect(text).toContain('python asyncio');
    });

    it('cancels the selected job after a confirmation, and retries with r', async () => {
      commands.cancelJob.mockResolvedValue(job('aaaaaaaa-1', { status: 'cancelled' }));
      commands.retryJob.mockRejectedValue(
        new SkillFleetError('CONFLICT', 'Only a failed job can be retried'),
      );
      let text = await press('c');
      expect(text).toContain('Cancel job aaaaaaaa (running)?');
      await press('y');
      expect(commands.cancelJob).toHaveBeenCalledWith('aaaaaaaa-1');
      await press(KEYS.down);
      text = await press('r');
      expect(commands.retryJob).toHaveBeenCalledWith('bbbbbbbb-2');
      await tick();
      text = await draw();
      expect(text).toContain('last error: CONFLICT: Only a failed job can be retried');
    });

    /** A completed job whose snapshot still names its last step and progress, newest in the list. */
    const completedJob = () =>
      store.dispatch({
        type: 'job.snapshot',
        job: job('cccccccc-3', {
          input: { task: 'Create a skill for terraform modules' },
          status: 'completed',
          currentStep: 'save',
          progress: { percent: 95, message: 'Saving' },
          createdAt: '2026-11-23T21:00:03.000Z',
          updatedAt: '2026-11-23T21:00:09.000Z',
        }),
      });

    it('offers only the keys that apply to the selected job, and refuses the others here', async () => {
      completedJob();
      store.dispatch({ type: 'select.job', jobId: 'cccccccc-3' });
      let text = await draw();
      // The header offers enter, but neither cancel nor retry for a completed job.
      const header = text.split('\n')[0];
      expect(header).toContain('enter open');
      expect(header).not.toContain('c cancel');
      expect(header).not.toContain('r retry');
      // The task's lead-in is left out; a completed job is done, with no current step.
      expect(text).toMatch(/cccccccc terraform modules\s+completed\s+-\s+\[########\] 100%/);
      text = await press('c');
      expect(text).not.toContain('Cancel job');
      expect(text).toContain('job cccccccc is completed: nothing to cancel');
      await press('r');
      expect(commands.cancelJob).not.toHaveBeenCalled();
      expect(commands.retryJob).not.toHaveBeenCalled();
      // A running job is offered cancel, a failed one retry.
      await press(KEYS.down);
      expect(store.state.selectedJobId).toBe('aaaaaaaa-1');
      expect((await draw()).split('\n')[0]).toContain('c cancel');
      await press(KEYS.down);
      const failedHeader = (await draw()).split('\n')[0];
      expect(failedHeader).toContain('r retry');
      expect(failedHeader).not.toContain('c cancel');
    });

    it('filters on the whole task, the status and the step with /', async () => {
      completedJob();
      let text = await press('/', 'c', 'r', 'e', 'a', 't', 'e');
      // While typing, the list follows the filter; the lead-in is matched though not shown.
      expect(text).toContain('filter: create_');
      expect(text).toContain('Jobs (1/3)');
      expect(text).toContain('terraform modules');
      text = await press(KEYS.enter);
      expect(store.state.selectedJobId).toBe('cccccccc-3');
      text = await press('/', KEYS.backspace, KEYS.backspace, KEYS.backspace, KEYS.backspace);
      text = await press(KEYS.backspace, KEYS.backspace, 'f', 'a', 'i', 'l', KEYS.enter);
      expect(text).toContain('Jobs (1/3) filter: fail');
      expect(text).toContain('docker compose');
      expect(store.state.selectedJobId).toBe('bbbbbbbb-2');
      text = await press('/', 'n', 'o', 'p', 'e', 'x', KEYS.enter);
      expect(text).toContain('(no job matches the filter)');
    });
  });

  describe('Job detail', () => {
    const JOB = 'dddddddd-4';
    const recorded = [
      stepInfo('requirements', {
        usage: { promptTokens: 120, completionTokens: 80 },
        output: { name: 'terraform-modules', level: 'intermediate', topics: ['modules'] },
      }),
      stepInfo('plan', { durationMs: 2500, usage: { totalTokens: 345 }, attempt: 2 }),
      stepInfo('generate#1', {
        output: { content: '---\nname: terraform-modules\n---\n# Terraform modules\n', words: 4 },
      }),
    ];
    const events = (from: number, to: number) => {
      for (let seq = from; seq <= to; seq++) {
        store.dispatch({
          type: 'job.event',
          jobId: JOB,
          frame: jobEvent(JOB, seq, 'job.log', { level: 'info', message: `line ${seq}` }),
        });
      }
    };

    beforeEach(() => {
      store.dispatch({
        type: 'jobs.listed',
        jobs: [
          job(JOB, {
            input: { task: 'Create a skill for terraform modules' },
            status: 'completed',
            currentStep: 'save',
            progress: { percent: 95, message: 'Saving' },
          }),
        ],
      });
      store.dispatch({ type: 'select.job', jobId: JOB });
      commands.jobSteps.mockResolvedValue(recorded);
      store.dispatch({
        type: 'job.event',
        jobId: JOB,
        frame: jobEvent(JOB, 1, 'job.progress', {
          percent: 0,
          message:
            'No model configured: this makes a scaffold for you to fill in; set LLM_BASE_URL',
        }),
      });
      events(2, 40);
    });

    it('opens on enter: the timeline, the output of the selected step, the no-model notice', async () => {
      await press(KEYS.enter);
      await tick();
      const text = await draw();
      expect(dashboard.currentScreen).toBe('Job');
      expect(commands.jobSteps).toHaveBeenCalledWith(JOB);
      expect(text).toContain('Job dddddddd · skill.create');
      expect(text).toMatch(/completed \[##########\] 100%/);
      expect(text).not.toContain('step save');
      expect(text).toContain('terraform modules');
      expect(text).toContain('No model configured: this makes a scaffold');
      expect(text).toMatch(/requirements\s+completed\s+1\.0s\s+200 1/);
      expect(text).toMatch(/plan\s+completed\s+2\.5s\s+345 2/);
      // The first step's output, pretty-printed.
      expect(text).toContain('"name": "terraform-modules"');
      expect(text.split('\n')[0]).toContain('esc back');
      expect(text.split('\n')[0]).toContain('w rewind');
      expect(text.split('\n')[0]).not.toContain('c cancel');
      // generate's SKILL.md is shown as text.
      let generate = await press(KEYS.down, KEYS.down);
      expect(generate).toContain('generate#1 1-6/9');
      expect(generate).toContain('name: terraform-modules');
      expect(generate).toContain('# Terraform modules');
      expect(generate).not.toContain('\\n');
      generate = await press(']');
      expect(generate).toContain('generate#1 4-9/9');
      expect(generate).toContain('"words": 4');
      // Escape goes back to Jobs with the job still selected.
      const back = await press(KEYS.escape);
      expect(dashboard.currentScreen).toBe('Jobs');
      expect(back).toMatch(/\{?inverse|dddddddd terraform modules/);
      expect(store.state.selectedJobId).toBe(JOB);
    });

    it('scrolls the event log with PgUp and PgDn, and follows new events at the end', async () => {
      let text = await press(KEYS.enter);
      expect(text).toContain('#40 ');
      expect(text).toContain('Events (40, seq 1-40) · newest');
      text = await press('\x1b[5~');
      expect(text).not.toContain('#40 ');
      expect(text).toMatch(/Events \(40, seq 1-40\) · \d+-\d+ of 40/);
      text = await press(
        '\x1b[5~',
        '\x1b[5~',
        '\x1b[5~',
        '\x1b[5~',
        '\x1b[5~',
        '\x1b[5~',
        '\x1b[5~',
      );
      expect(text).toContain('#1 ');
      text = await press(
        '\x1b[6~',
        '\x1b[6~',
        '\x1b[6~',
        '\x1b[6~',
        '\x1b[6~',
        '\x1b[6~',
        '\x1b[6~',
        '\x1b[6~',
      );
      events(41, 41);
      text = await draw();
      expect(text).toContain('#41 ');
    });

    it('rewinds to the selected step after a confirmation; the new run shows on the same screen', async () => {
      commands.rewindJob.mockResolvedValue(job(JOB, { status: 'queued' }));
      await press(KEYS.enter);
      let text = await press(KEYS.down, 'w');
      expect(text).toContain('Rewind job dddddddd to plan?');
      await press('n');
      expect(commands.rewindJob).not.toHaveBeenCalled();
      await press('w', 'y');
      await tick();
      expect(commands.rewindJob).toHaveBeenCalledWith(JOB, 'plan');
      expect(await draw()).toContain('rewound job dddddddd to plan');
      // The server's new run: one job.rewound, then plan again.
      commands.jobSteps.mockResolvedValue([recorded[0]]);
      store.dispatch({
        type: 'job.event',
        jobId: JOB,
        frame: jobEvent(JOB, 42, 'job.rewound', {
          toStep: 'plan',
          discardedSteps: ['plan', 'generate#1'],
        }),
      });
      store.dispatch({
        type: 'job.event',
        jobId: JOB,
        frame: jobEvent(JOB, 43, 'step.started', { step: 'plan', attempt: 1 }),
      });
      await tick();
      text = await draw();
      await tick();
      text = await draw();
      expect(text).toContain('#42 ');
      expect(text).toContain('job.rewound to plan');
      expect(text).toMatch(/plan\s+running/);
      expect(text).not.toContain('generate#1');
      expect(commands.jobSteps).toHaveBeenCalledTimes(2);
    });

    it('does not offer rewind on a running job, and refuses it with a reason', async () => {
      store.dispatch({
        type: 'job.snapshot',
        job: job(JOB, { status: 'running', updatedAt: '2026-11-23T22:00:00.000Z' }),
      });
      let text = await press(KEYS.enter);
      expect(text.split('\n')[0]).not.toContain('w rewind');
      expect(text.split('\n')[0]).toContain('c cancel');
      text = await press('w');
      expect(text).not.toContain('Rewind job');
      expect(text).toContain('a running job cannot be rewound');
    });

    it('fits 200×60 with the output beside the timeline and the log', async () => {
      head.resize(200, 60);
      await tick();
      const rows = (await press(KEYS.enter)).split('\n');
      expect(rows).toHaveLength(60);
      const stepsRow = rows.find((row) => row.includes('Steps ('))!;
      expect(stepsRow).toContain('┐┌─ requirements ');
      expect(rows.some((row) => row.includes('Events (40') && row.includes('#') === false)).toBe(
        true,
      );
      expect(rows.join('\n')).toContain('#40 ');
    });
  });

  it('switches screens with 1 2 3 and lists every key with ?', async () => {
    expect(await press('2')).toContain('Inbox (0 open)');
    expect(dashboard.currentScreen).toBe('Inbox');
    commands.getSkill.mockResolvedValue({ skill: skill('python/a'), content: '' });
    expect(await press('3')).toContain('Skills (0)');
    const help = await press('?');
    expect(help).toContain('Help: keys');
    expect(help).toContain('cancel the selected job');
    expect(help).toContain('C-c');
    expect(await press('x')).not.toContain('Help: keys');
    expect(await press('1')).toContain('Jobs (0/0)');
  });

  it("scrolls the help at 80×24 down to its last key, and keeps each screen's selection", async () => {
    let help = await press('?');
    const total = /lines 1-(\d+) of (\d+)/.exec(help);
    expect(total).not.toBeNull();
    expect(Number(total![1])).toBeLessThan(Number(total![2]));
    expect(help).not.toContain('close the form without answering');
    help = await press('\x1b[6~', '\x1b[6~', '\x1b[6~');
    expect(help).toContain(`of ${total![2]}`);
    expect(help).toContain(`-${total![2]} of ${total![2]}`);
    expect(help).toContain('close the form without answering');
    expect(help).toContain('Skills');
    help = await press(KEYS.up);
    expect(help).toContain('Help: keys');
    expect(await press('x')).not.toContain('Help: keys');

    // The Inbox's and Skills' selections stay while other screens are shown.
    store.dispatch({
      type: 'prompts.listed',
      prompts: [prompt('p1'), prompt('p2', { createdAt: '2026-11-23T21:00:05.000Z' })],
    });
    store.dispatch({ type: 'skills.listed', skills: [skill('python/a'), skill('python/b')] });
    commands.getSkill.mockResolvedValue({ skill: skill('python/b'), content: '# b' });
    await press('2', KEYS.down);
    expect(store.state.selectedPromptId).toBe('p2');
    await press('3', KEYS.down, KEYS.down);
    const skillSelected = store.state.selectedSkillId;
    expect(skillSelected).not.toBeNull();
    await press('1', '2');
    expect(store.state.selectedPromptId).toBe('p2');
    expect(await draw()).toContain('prompt p2');
    await press('3');
    expect(store.state.selectedSkillId).toBe(skillSelected);
  });

  it('quits on q, and on Ctrl-C even inside a form', async () => {
    await press('n');
    expect(dashboard.overlayOpen).toBe(true);
    await press('q');
    expect(quit).not.toHaveBeenCalled();
    await press(KEYS.ctrlC);
    expect(quit).toHaveBeenCalledTimes(1);
  });

  it('creates a job from the new-job form and opens its detail', async () => {
    commands.createJob.mockImplementation(async (task) =>
      job('cccccccc-3', { input: { task }, status: 'queued' }),
    );
    await press('2', 'n');
    let text = await press(KEYS.tab, KEYS.tab, KEYS.tab, KEYS.tab, KEYS.tab, KEYS.enter);
    expect(text).toContain('! a task is required');
    // The error took the focus back to the task.
    await press(...'pandas tips');
    // Prompts: turn on confirm (third option); auto-approve stays no; style comprehensive.
    await press(KEYS.tab, KEYS.right, KEYS.right, KEYS.space);
    await press(KEYS.tab, KEYS.tab, KEYS.right, KEYS.right, KEYS.space);
    // Sources: a path that is not there is refused beside the field, and nothing is sent.
    await press(KEYS.tab, ...'/nonexistent/notes.md');
    text = await press(KEYS.tab, KEYS.enter);
    await sleep(50);
    text = await draw();
    expect(text).toContain('! sources: /nonexistent/notes.md: no such file or folder');
    expect(commands.createJob).not.toHaveBeenCalled();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-dash-sources-'));
    fs.writeFileSync(path.join(dir, 'notes.md'), '# Notes\n');
    await press(...Array(21).fill(KEYS.backspace), ...dir);
    text = await press(KEYS.tab, KEYS.enter);
    await sleep(50);
    await tick();
    expect(commands.createJob).toHaveBeenCalledWith(
      'pandas tips',
      {
        prompts: {
          clarify: true,
          structure_fix: true,
          confirm: true,
          preview: false,
          validate: false,
        },
        style: 'comprehensive',
      },
      [{ name: `${dir}/notes.md`, content: '# Notes\n' }],
    );
    fs.rmSync(dir, { recursive: true, force: true });
    store.dispatch({
      type: 'job.snapshot',
      job: job('cccccccc-3', { input: { task: 'pandas tips' } }),
    });
    text = await draw();
    expect(dashboard.currentScreen).toBe('Job');
    expect(store.state.selectedJobId).toBe('cccccccc-3');
    expect(text).toContain('created job cccccccc with 1 source');
  });

  describe('Inbox forms', () => {
    const open = (p: Prompt) => store.dispatch({ type: 'prompts.listed', prompts: [p] });

    it("offers only the payload's actions: no revise and no feedback when the job cannot take them", async () => {
      open(
        prompt('p-offline', {
          payload: {
            summary: 'a summary',
            path: 'python/x',
            assumptions: [],
            actions: ['proceed', 'edits', 'cancel'],
          },
        }),
      );
      await press('2');
      const text = await press(KEYS.enter);
      expect(text).toContain('[ Proceed ]');
      expect(text).toContain('Cancel job');
      expect(text).not.toContain('Revise');
      expect(text).not.toContain('Feedback');
    });

    it('lists open prompts with age and expiry, and answers clarify one question at a time', async () => {
      open(
        prompt('p-clarify', {
          kind: 'clarify',
          title: 'A few questions',
          payload: {
            questions: [
              { id: 'q1', text: 'Who reads it?', type: 'text', required: true, allowOther: false },
              {
                id: 'q2',
                text: 'Which topics?',
                type: 'multi',
                required: false,
                allowOther: true,
                options: [
                  { id: 'tasks', label: 'tasks' },
                  { id: 'streams', label: 'streams' },
                ],
              },
            ],
          },
        }),
      );
      let text = await press('2');
      expect(text).toMatch(/clarify\s+A few questions/);
      expect(text).toContain('Inbox (1 open)');
      // The payload as labelled fields, not JSON.
      expect(text).toContain('questions:');
      expect(text).toContain('- id: q1 · text: Who reads it? · type: text');
      expect(text).not.toContain('"questions"');
      expect(text).toContain('1 open prompt');
      text = await press(KEYS.enter);
      expect(text).toContain('question 1 of 2');
      expect(text).toContain('Who reads it? *');
      // Next without the required answer: the error shows beside the field.
      text = await press(KEYS.tab, KEYS.enter);
      expect(text).toContain('! an answer is required');
      await press(...'devs', KEYS.tab, KEYS.enter);
      text = await draw();
      expect(text).toContain('question 2 of 2');
      expect(text).toContain('[ ] tasks');
      await press(KEYS.right, KEYS.space, KEYS.tab, ...'sockets');
      commands.answerPrompt.mockRejectedValueOnce(
        new SkillFleetError('VALIDATION_FAILED', 'bad', [
          { field: 'answer.answers.q1', message: 'must be longer' },
        ]),
      );
      await press(KEYS.tab, KEYS.enter);
      await tick();
      text = await draw();
      // The server's complaint about q1 brings its page back, with the message beside it.
      expect(text).toContain('question 1 of 2');
      expect(text).toContain('! must be longer');
      expect(commands.answerPrompt).toHaveBeenLastCalledWith('p-clarify', {
        answers: { q1: 'devs', q2: ['streams', 'sockets'] },
      });
      commands.answerPrompt.mockResolvedValueOnce(prompt('p-clarify', { status: 'answered' }));
      await press(...' and ops', KEYS.tab, KEYS.enter);
      await press(KEYS.tab, KEYS.tab, KEYS.enter);
      await tick();
      expect(commands.answerPrompt).toHaveBeenLastCalledWith('p-clarify', {
        answers: { q1: 'devs and ops', q2: ['streams', 'sockets'] },
      });
      expect(dashboard.overlayOpen).toBe(false);
    });

    it('confirm: scrollable summary, revise needs feedback (shown beside it), CONFLICT says who', async () => {
      open(prompt('p-confirm', { kind: 'confirm', title: 'Is this it?' }));
      await press('2');
      let text = await press(KEYS.enter);
      expect(text).toContain('a summary');
      expect(text).toContain('path: python/x');
      expect(text).toContain('[ Proceed ]  [ Revise ]  [ Cancel job ]');
      commands.answerPrompt.mockRejectedValueOnce(
        new SkillFleetError('VALIDATION_FAILED', 'answer.feedback: is required to revise', [
          { field: 'answer.feedback', message: 'is required to revise' },
        ]),
      );
      // The focus starts on the summary; tab goes to the feedback, then the buttons.
      await press(KEYS.down, KEYS.tab, KEYS.tab, KEYS.right, KEYS.enter);
      await tick();
      text = await draw();
      expect(commands.answerPrompt).toHaveBeenLastCalledWith('p-confirm', { action: 'revise' });
      expect(text).toMatch(/Feedback[^\n]*\n[^\n]*>[^\n]*\n[^\n]*! is required to revise/);
      commands.answerPrompt.mockRejectedValueOnce(
        new SkillFleetError('CONFLICT', 'Prompt already answered', {
          status: 'answered',
          answeredBy: 'bob',
          answeredAt: '2026-11-23T21:05:00.000Z',
        }),
      );
      await press(KEYS.tab, KEYS.enter);
      await tick();
      text = await draw();
      expect(text).toContain('CONFLICT: this prompt was answered first by bob');
      await press(KEYS.escape);
      expect(dashboard.overlayOpen).toBe(false);
    });

    it('structure_fix: suggested values are filled in and editable', async () => {
      open(
        prompt('p-fix', {
          kind: 'structure_fix',
          payload: {
            issues: ['name has capitals'],
            current: { name: 'Py-Async', description: 'x' },
            suggested: { name: 'py-async' },
          },
        }),
      );
      await press('2');
      const text = await press(KEYS.enter);
      expect(text).toContain('name has capitals');
      expect(text).toContain('> py-async');
      commands.answerPrompt.mockResolvedValue(prompt('p-fix', { status: 'answered' }));
      await press(KEYS.backspace, ...'2', KEYS.tab, ...' more', KEYS.tab, KEYS.enter);
      await tick();
      expect(commands.answerPrompt).toHaveBeenCalledWith('p-fix', {
        name: 'py-asyn2',
        description: 'x more',
      });
    });

    it('preview and validate: content and report, proceed / refine with feedback / cancel', async () => {
      open(
        prompt('p-val', {
          kind: 'validate',
          actions: ['proceed', 'refine', 'cancel'],
          payload: {
            report: {
              valid: false,
              errors: [{ code: 'NAME_TOO_LONG', message: 'too long' }],
              warnings: [],
            },
            content: '---\nname: x\n---\nBody',
          },
        }),
      );
      await press('2');
      const text = await press(KEYS.enter);
      expect(text).toContain('valid: NO');
      expect(text).toContain('error   NAME_TOO_LONG: too long');
      expect(text).toContain('[ Proceed ]  [ Refine ]  [ Cancel job ]');
      commands.answerPrompt.mockResolvedValue(prompt('p-val', { status: 'answered' }));
      await press(KEYS.tab, ...'shorter name', KEYS.tab, KEYS.right, KEYS.enter);
      await tick();
      expect(commands.answerPrompt).toHaveBeenCalledWith('p-val', {
        action: 'refine',
        feedback: 'shorter name',
      });
    });

    it('preview: e edits the content in $EDITOR and sends it back', async () => {
      open(
        prompt('p-pre', {
          kind: 'preview',
          payload: {
            content: '---\nname: x\n---\n# Draft',
            highlights: ['short'],
            stats: { sections: 1, examples: 0, words: 2 },
          },
        }),
      );
      const edits: string[] = [];
      // The one piece of blessed replaced: running the real $EDITOR needs a terminal.
      (
        head.screen as unknown as {
          readEditor(o: { value: string }, cb: (e: Error | null, d?: string) => void): void;
        }
      ).readEditor = (options, callback) => {
        edits.push(options.value);
        callback(null, `${options.value}\n\nEdited by hand.`);
      };
      commands.answerPrompt.mockResolvedValue(prompt('p-pre', { status: 'answered' }));
      await press('2');
      const text = await press(KEYS.enter);
      expect(text).toContain('# Draft');
      expect(text).toContain('highlights:');
      await press('e');
      await tick();
      expect(edits).toEqual(['---\nname: x\n---\n# Draft']);
      expect(commands.answerPrompt).toHaveBeenCalledWith('p-pre', {
        action: 'proceed',
        content: '---\nname: x\n---\n# Draft\n\nEdited by hand.',
      });
    });
  });

  describe('Skills', () => {
    beforeEach(() => {
      store.dispatch({
        type: 'skills.listed',
        skills: [
          skill('python/async-await'),
          skill('_drafts/dddddddd-4/pandas-tips', { name: 'pandas-tips', status: 'draft' }),
        ],
      });
      commands.getSkill.mockImplementation(async (id) => ({
        skill: skill(id),
        content: `---\nname: ${id}\n---\n# Body of ${id}`,
      }));
    });

    it('shows the tree with drafts marked, the SKILL.md and the validation', async () => {
      let text = await press('3');
      expect(text).toContain('▾ python/');
      expect(text).toContain('pandas-tips [draft] (job d');
      await press(KEYS.down);
      await sleep(150);
      text = await draw();
      expect(text).toContain('validation: valid (0 errors, 0 warnings)');
      expect(text).toContain('# Body of python/async-await');
    });

    it('promotes a draft after a confirmation, and shows CONFLICT clearly', async () => {
      commands.promote.mockRejectedValueOnce(
        new SkillFleetError('CONFLICT', 'python/pandas-tips exists'),
      );
      commands.promote.mockResolvedValueOnce(skill('python/pandas-tips'));
      await press('3', KEYS.down, KEYS.down, KEYS.down);
      let text = await press('p');
      expect(text).toContain('Promote the draft pandas-tips (job dddddddd) into the taxonomy?');
      await press('y');
      await tick();
      text = await draw();
      expect(commands.promote).toHaveBeenCalledWith('dddddddd-4', false);
      expect(text).toContain('CONFLICT: python/pandas-tips exists');
      expect(text).toContain('Overwrite the skill in the taxonomy?');
      await press('y');
      await tick();
      text = await draw();
      expect(commands.promote).toHaveBeenLastCalledWith('dddddddd-4', true);
      expect(text).toContain('Promoted to python/pandas-tips');
    });

    it('asks again before promoting an offline scaffold nobody edited', async () => {
      commands.promote.mockRejectedValueOnce(
        new SkillFleetError(
          'VALIDATION_FAILED',
          'The draft of job dddddddd-4 is an offline scaffold no person has edited (OFFLINE_SCAFFOLD): …',
        ),
      );
      commands.promote.mockResolvedValueOnce(skill('python/pandas-tips'));
      await press('3', KEYS.down, KEYS.down, KEYS.down);
      await press('p');
      await press('y');
      await tick();
      let text = await draw();
      expect(commands.promote).toHaveBeenCalledWith('dddddddd-4', false);
      expect(text).toContain('Promote the scaffold as it is?');
      await press('y');
      await tick();
      text = await draw();
      expect(commands.promote).toHaveBeenLastCalledWith('dddddddd-4', false, true);
      expect(text).toContain('Promoted to python/pandas-tips');
    });

    it("shows each draft's status and deletes a draft after a confirmation", async () => {
      const draft = {
        jobId: 'dddddddd-4',
        skillId: '_drafts/dddddddd-4/pandas-tips',
        name: 'pandas-tips',
        category: 'python',
        ownerId: 'admin',
        version: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
      };
      commands.listDrafts.mockResolvedValueOnce([{ ...draft, status: 'open', promoted: null }]);
      commands.listDrafts.mockResolvedValue([]);
      commands.deleteDraft.mockResolvedValue(undefined);
      await press('3');
      await tick();
      let text = await draw();
      expect(text).toContain('pandas-tips [draft open]');
      await press(KEYS.down, KEYS.down, KEYS.down);
      text = await press('d');
      expect(text).toContain('Delete the draft pandas-tips (job dddddddd): its folder and record?');
      await press('y');
      await tick();
      text = await draw();
      expect(commands.deleteDraft).toHaveBeenCalledWith('dddddddd-4');
      expect(text).toContain('Deleted the draft of job dddddddd');
      expect(commands.listDrafts).toHaveBeenCalledTimes(2);
    });

    it('searches with /', async () => {
      commands.searchSkills.mockResolvedValue([skill('python/async-await')]);
      await press('3', '/', ...'async', KEYS.enter);
      await tick();
      const text = await draw();
      expect(commands.searchSkills).toHaveBeenCalledWith('async');
      expect(text).toContain('search: async');
      expect(text).not.toContain('pandas-tips');
    });
  });

  it('shows reconnecting with the attempt, then connected, and offline with the last error', async () => {
    store.dispatch({ type: 'connection', state: 'reconnecting', attempt: 3 });
    expect(await draw()).toContain('reconnecting (attempt 3)');
    store.dispatch({ type: 'connection', state: 'connected', attempt: 0 });
    expect(await draw()).toMatch(/│ connected │/);
    store.dispatch({
      type: 'connection',
      state: 'offline',
      attempt: 0,
      error: 'UNAUTHORIZED: The server refused the token (4401)',
    });
    const text = await draw();
    expect(text).toContain('offline');
    expect(text).toContain('last error: UNAUTHORIZED');
  });

  it('uses more room when the terminal grows: the wide layout puts the job beside the table', async () => {
    store.dispatch({ type: 'jobs.listed', jobs: [job('aaaaaaaa-1')] });
    let rows = (await draw()).split('\n');
    expect(rows.find((row) => row.includes('Jobs ('))).not.toContain('Steps');
    head.resize(180, 40);
    await tick();
    rows = (await draw()).split('\n');
    expect(rows).toHaveLength(40);
    expect(rows.find((row) => row.includes('Jobs ('))).toContain('Steps');
    expect(rows[1].length).toBe(180);
  });

  it('leaves no listeners behind when screens switch or it is destroyed', async () => {
    const before = store.listenerCount;
    await press('2', '3', '1', '3', '2');
    expect(store.listenerCount).toBe(before);
    const keypress = head.screen.listeners('keypress').length;
    dashboard.destroy();
    expect(store.listenerCount).toBe(0);
    expect(head.screen.listeners('keypress').length).toBe(keypress - 1);
    dashboard = new Dashboard({ screen: head.screen, store, commands, onQuit: quit, frameMs: 5 });
  });
});
