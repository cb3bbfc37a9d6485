import type { Job, SkillFleetClient, StateChange } from '#src/client/index';
import { cut, taskOf } from '../commands/jobs.command';
import { resolveId } from '../id-prefix';
import {
  createSkillJob,
  describeOutcome,
  followJob,
  type Output,
  StoppedFollowing,
} from '../job-follow';
import type { Printer } from '../printer';
import { ReadlineTerminal } from '../readline-terminal';
import { remoteFailure } from '../remote';
import { readSourcesForJob, type SourceFile } from '../source-files';
import { CANCEL_WORD, EndOfInput, Interrupted } from '../terminal-prompts';
import { terminalText } from '../terminal-text';
import { helpText, InputBuffer, parseChatInput, type SlashCommandName } from './chat-input';
import { elapsed, nextState, stateOf, StatusLine } from './status-line';

const PROMPT = 'chat> ';
const MORE = '...> ';
/** Jobs of this session that /jobs and the goodbye look at (the newest). */
const MAX_SESSION_JOBS = 20;

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** /exit or Ctrl-D, typed at the chat prompt or at a question. */
class ExitChat extends Error {
  override name = 'ExitChat';
}

export interface ChatSettings {
  /** The server's address, for the greeting and error messages. */
  url: string;
  /** Which prompts new jobs ask (create's --prompts); the server's default when undefined. */
  prompts?: Record<string, boolean>;
}

/**
 * `skill-fleet chat`: a conversation over one connection. Each task typed becomes a skill.create job
 * that is followed to its end (cli/job-follow.ts, as `create` does), with a live status line and the
 * SKILL.md streamed, its prompts asked inline; slash commands act between and during jobs. A
 * dropped connection is re-opened by the client, and the followed job resumes from its last seq.
 */
export class ChatSession {
  private readonly input = new InputBuffer();
  private readonly readline = new ReadlineTerminal();
  private readonly status = new StatusLine();
  /** This session's jobs, oldest first. */
  private readonly sessionJobs = new Set<string>();
  /** The job followed now, or last. */
  private current: string | null = null;
  private sources: SourceFile[] = [];
  /** Stops the follow under way (Ctrl-C while no question is open). */
  private following: AbortController | null = null;
  /** Streamed text after its last newline, held until the line ends (the status line is below). */
  private partial = '';
  /** The question on the screen, if any. */
  private question: string | null = null;
  /** The chat prompt on the screen while a task or command is typed, if it is. */
  private typing: string | null = null;

  constructor(
    private readonly client: SkillFleetClient,
    private readonly printer: Printer,
    private readonly settings: ChatSettings,
  ) {}

  async run(resume?: string): Promise<void> {
    const onInterrupt = () => this.following?.abort();
    process.on('SIGINT', onInterrupt);
    const stopWatching = this.client.on('state', (change) => this.connectionChanged(change));
    try {
      this.say(`Connected to ${this.settings.url}. Type a task to create a skill, or /help.`);
      if (resume !== undefined) await this.guarded(() => this.resume(resume));
      for (;;) {
        const typed = await this.readInput();
        if (typed === null) break;
        const input = parseChatInput(typed.text, typed.multiLine);
        if (input.kind === 'empty') continue;
        if (input.kind === 'error') this.say(input.message);
        else if (input.kind === 'task') await this.guarded(() => this.startTask(input.task));
        else await this.guarded(() => this.command(input.name, input.args));
      }
    } catch (error) {
      if (!(error instanceof ExitChat)) throw error;
    } finally {
      process.off('SIGINT', onInterrupt);
      stopWatching();
      this.status.stop();
    }
    await this.goodbye();
  }

  /** One gathered input, or null at Ctrl-D. Ctrl-C drops what was typed so far. */
  private async readInput(): Promise<{ text: string; multiLine: boolean } | null> {
    for (;;) {
      let line: string;
      const prompt = this.input.prompt(PROMPT, MORE);
      this.typing = prompt;
      try {
        line = await this.readline.line(prompt);
      } catch (error) {
        if (error instanceof EndOfInput) return null;
        if (!(error instanceof Interrupted)) throw error;
        this.input.clear();
        continue;
      } finally {
        this.typing = null;
      }
      const result = this.input.push(line);
      if (result.kind === 'done') return result;
      if (result.kind === 'error') this.say(result.message);
    }
  }

  /** Runs a task or command; a refusal or a lost call is reported and the session goes on. */
  private async guarded(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof ExitChat || this.client.state === 'closed') throw error;
      const failure = remoteFailure(error, this.settings.url);
      this.say(`${failure.message}${failure.hint ? `\n  ${failure.hint}` : ''}`);
    }
  }

  private async command(name: SlashCommandName, args: string[]): Promise<void> {
    switch (name) {
      case 'exit':
        throw new ExitChat();
      case 'help':
        return this.say(helpText());
      case 'status':
        return this.showStatus();
      case 'jobs':
        return this.listJobs();
      case 'cancel':
        return this.cancel(args[0]);
      case 'resume':
        return this.resume(args[0]);
      case 'sources':
        return this.setSources(args);
    }
  }

  private async startTask(task: string): Promise<void> {
    const sources = this.sources;
    const job = await createSkillJob(this.client, {
      task,
      autoApprove: false,
      prompts: this.settings.prompts,
      sources,
    });
    this.sources = [];
    this.remember(job.id);
    this.say(
      `Job ${job.id} created${sources.length ? ` with ${count(sources.length, 'source')}` : ''}: ${cut(task, 60)}`,
    );
    await this.follow(job.id);
  }

  private async resume(given: string): Promise<void> {
    const jobId = await resolveId(this.client, 'job', given);
    this.remember(jobId);
    this.say(`Following job ${jobId}`);
    await this.follow(jobId);
  }

  private remember(jobId: string): void {
    this.sessionJobs.delete(jobId);
    this.sessionJobs.add(jobId);
    if (this.sessionJobs.size > MAX_SESSION_JOBS) {
      this.sessionJobs.delete(this.sessionJobs.values().next().value as string);
    }
    this.current = jobId;
  }

  /** Follows a job to its end (or until Ctrl-C) and prints how it ended. */
  private async follow(jobId: string): Promise<void> {
    this.following = new AbortController();
    try {
      const job = await followJob(this.client, jobId, this.output(), 0, this.following.signal);
      this.endStream();
      this.status.stop();
      describeOutcome(this.printer, false, job, false);
    } catch (error) {
      this.endStream();
      this.status.stop();
      if (!(error instanceof StoppedFollowing)) throw error;
      this.say(
        `${error.message}. /resume ${jobId.slice(0, 8)} follows it again, /cancel cancels it.`,
      );
    } finally {
      this.following = null;
    }
  }

  /** Where followJob writes: lines above the status line, questions asked with it hidden. */
  private output(): Output {
    return {
      progress: (text) => this.say(text),
      stream: (text) => this.stream(text),
      terminal: {
        write: (text) => {
          this.status.hide();
          this.endStream();
          process.stdout.write(terminalText(text));
        },
        line: (question) => this.ask(question),
        edit: (content) => this.readline.edit(content),
      },
      withdraw: () => this.readline.withdraw(),
      observer: {
        subscribed: (reply) => {
          const since = this.status.current?.since;
          const state = stateOf(reply.job);
          if (this.status.current) this.status.update(() => ({ ...state, since: since! }));
          else this.status.start(state);
        },
        event: (event) => {
          this.status.update((state) => nextState(state, event));
          if (event.event !== 'prompt.opened' && this.question === null) this.status.show();
        },
      },
    };
  }

  /**
   * A question of a prompt. The chat's own words work here too: /cancel answers it by cancelling
   * the job, /exit and Ctrl-D leave (the job keeps waiting), /help, /status and /jobs ask again.
   */
  private async ask(question: string): Promise<string> {
    this.status.hide();
    this.question = question;
    try {
      for (;;) {
        const typed = await this.readline.line(question);
        const word = typed.trim().toLowerCase();
        if (word === '/cancel') return CANCEL_WORD;
        if (word === '/exit') throw new ExitChat();
        if (word === '/help') this.say(helpText());
        else if (word === '/status') await this.guarded(() => this.showStatus());
        else if (word === '/jobs') await this.guarded(() => this.listJobs());
        else return typed;
      }
    } catch (error) {
      if (error instanceof EndOfInput) throw new ExitChat();
      throw error;
    } finally {
      this.question = null;
    }
  }

  /** Streamed text goes out a whole line at a time, so the status line stays below it. */
  private stream(text: string): void {
    this.partial += text;
    const end = this.partial.lastIndexOf('\n');
    if (end < 0) return;
    this.status.clear();
    process.stdout.write(terminalText(this.partial.slice(0, end + 1)));
    this.partial = this.partial.slice(end + 1);
    this.status.draw();
  }

  /** Writes what is left of a streamed line, ended. */
  private endStream(): void {
    if (!this.partial) return;
    this.status.clear();
    process.stdout.write(`${terminalText(this.partial)}\n`);
    this.partial = '';
  }

  /** A line of the chat's own (sanitised by the printer), above the status line. */
  private say(text: string): void {
    this.status.clear();
    this.endStream();
    this.printer.line(text);
    this.status.draw();
  }

  private connectionChanged(change: StateChange): void {
    if (change.state === 'reconnecting') {
      this.status.update((s) => ({ ...s, note: `reconnecting (attempt ${change.attempt})` }));
      if (change.attempt === 1) this.notice('Connection lost; reconnecting…');
    } else if (change.state === 'open') {
      this.status.update((s) => ({ ...s, note: null }));
      this.notice('Reconnected; carrying on.');
    } else if (change.state === 'closed' && change.error) {
      this.notice(`The connection is gone: ${change.error.message}`);
    }
  }

  /** A connection notice; the question or chat prompt on the screen is shown again below it. */
  private notice(text: string): void {
    const prompt = this.question ?? this.typing;
    if (prompt !== null) process.stdout.write('\n');
    this.say(text);
    if (prompt !== null) process.stdout.write(terminalText(prompt));
  }

  private async showStatus(): Promise<void> {
    const state = this.client.state;
    if (!this.current) {
      this.say(`No job in this session yet (connection ${state}).`);
      return;
    }
    const { job } = await this.client.call('jobs.get', { jobId: this.current });
    const since = Date.parse(job.createdAt);
    const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
    this.status.clear();
    this.printer.fields([
      ['job', job.id],
      ['task', cut(taskOf(job), 70)],
      ['status', job.status],
      ['step', job.currentStep ?? ''],
      ['progress', `${job.progress.percent}%`],
      ['elapsed', elapsed(end - since)],
      ['prompt', job.openPromptId ?? ''],
      ['connection', `${state} (${this.settings.url})`],
    ]);
  }

  private async listJobs(): Promise<void> {
    const mine = await Promise.all(
      [...this.sessionJobs].map(
        async (jobId) => (await this.client.call('jobs.get', { jobId })).job,
      ),
    );
    const waiting = (await this.client.call('jobs.list', { status: ['waiting'], limit: 50 })).jobs;
    const rows: { job: Job; here: boolean }[] = [
      ...mine.map((job) => ({ job, here: true })),
      ...waiting
        .filter((job) => !this.sessionJobs.has(job.id))
        .map((job) => ({ job, here: false })),
    ];
    this.status.clear();
    this.printer.table(
      rows,
      [
        { header: 'ID', value: (r) => r.job.id.slice(0, 8) },
        { header: 'STATUS', value: (r) => r.job.status },
        { header: 'STEP', value: (r) => r.job.currentStep ?? '' },
        { header: 'WHERE', value: (r) => (r.here ? 'this chat' : 'elsewhere') },
        { header: 'TASK', value: (r) => cut(taskOf(r.job), 50) },
      ],
      'No jobs in this session, and none waiting for you.',
    );
  }

  private async cancel(given: string | undefined): Promise<void> {
    const jobId = given ? await resolveId(this.client, 'job', given) : this.current;
    if (!jobId) {
      this.say('No job to cancel; give its id: /cancel ID');
      return;
    }
    const { job } = await this.client.call('jobs.cancel', { jobId, reason: 'cancelled in chat' });
    this.say(`Job ${job.id} ${job.status}.`);
  }

  private async setSources(paths: string[]): Promise<void> {
    if (paths.length === 1 && paths[0] === '--clear') {
      this.sources = [];
      this.say('No sources for the next task.');
      return;
    }
    if (paths.length > 0) {
      this.sources = await readSourcesForJob(paths, '/sources', (note) => this.say(note));
    }
    this.say(
      this.sources.length === 0
        ? 'No sources for the next task; /sources PATH… sets them.'
        : `The next task is grounded in ${count(this.sources.length, 'source')}: ${this.sources.map((s) => s.name).join(', ')}`,
    );
  }

  /** Jobs of this session that still wait or run: how to come back to each. */
  private async goodbye(): Promise<void> {
    for (const jobId of this.sessionJobs) {
      let job: Job;
      try {
        job = (await this.client.call('jobs.get', { jobId })).job;
      } catch {
        continue;
      }
      if (job.status === 'waiting') {
        this.say(
          `Job ${job.id} waits for your answer. Come back with: skill-fleet chat --resume ${job.id}`,
        );
      } else if (job.status === 'queued' || job.status === 'running') {
        this.say(
          `Job ${job.id} is still ${job.status}. Follow it with: skill-fleet chat --resume ${job.id}`,
        );
      }
    }
    this.say('Bye.');
  }
}
