import { Command, Help, Option, SubCommand } from 'nest-commander';
import { PROMPT_STATUSES } from '#src/client/index';
import { allPages } from '../all-pages';
import { CliFailure, usageFailure, when } from '../printer';
import { answerShapesText } from '../prompt-answers';
import { GroupCommand, knownStatus, RemoteCommand, RemoteCommandOptions } from './remote-command';

interface ListOptions extends RemoteCommandOptions {
  status?: string;
  job?: string;
}

@SubCommand({ name: 'list', description: 'List prompts (default: open ones)' })
export class PromptsListCommand extends RemoteCommand<ListOptions> {
  protected async execute(_args: string[], options: ListOptions): Promise<void> {
    const status = options.status ? knownStatus(options.status, PROMPT_STATUSES) : undefined;
    // The server answers a page at a time (count and byte budget); the command lists them all.
    const prompts = await allPages(async (cursor) => {
      const page = await this.remote.call(options, 'prompts.list', {
        ...(status && { status }),
        ...(options.job && { jobId: options.job }),
        ...(cursor && { cursor }),
      });
      return { items: page.prompts, nextCursor: page.nextCursor };
    });
    const reply = { prompts };
    this.printer.result(options.json === true, reply, () =>
      this.printer.table(
        reply.prompts,
        [
          { header: 'ID', value: (p) => p.id },
          { header: 'JOB', value: (p) => p.jobId },
          { header: 'KIND', value: (p) => p.kind },
          { header: 'STATUS', value: (p) => p.status },
          { header: 'ACTIONS', value: (p) => p.actions.join(',') },
          { header: 'EXPIRES', value: (p) => when(p.expiresAt) },
          { header: 'TITLE', value: (p) => p.title },
        ],
        'No prompts.',
      ),
    );
  }

  @Option({ flags: '--status <status>', description: `open, answered, expired or cancelled` })
  parseStatus(value: string): string {
    return value;
  }

  @Option({ flags: '--job <id>', description: 'Only the prompts of this job' })
  parseJob(value: string): string {
    return value;
  }
}

interface AnswerOptions extends RemoteCommandOptions {
  answer?: string;
}

/** The hint of a malformed answer: each kind's shape, from the kinds' answer DTOs. */
const answerHint = (): string => `The answer depends on the prompt's kind:\n${answerShapesText()}`;

/** The answer as a JSON object; anything else is a usage error. */
function parseAnswer(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw usageFailure(`The answer is not valid JSON: ${text}`, answerHint());
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw usageFailure('The answer must be a JSON object', answerHint());
  }
  return value as Record<string, unknown>;
}

/**
 * `prompts answer ID --answer '<json>' [--json]`, or the protocol's form `prompts answer ID --json
 * '<answer>'`: `--json` followed by a value is the answer (and the output stays readable); a bare
 * `--json` asks for JSON output.
 */
@SubCommand({
  name: 'answer',
  arguments: '<id>',
  description: "Answer a prompt: --answer '<json>' (or --json '<json>', as in protocol.md)",
})
export class PromptsAnswerCommand extends RemoteCommand<AnswerOptions> {
  protected async execute([id]: string[], options: AnswerOptions): Promise<void> {
    const inline = typeof options.json === 'string' ? options.json : undefined;
    if (inline !== undefined && options.answer !== undefined) {
      throw usageFailure("Give the answer once: --answer '<json>' or --json '<json>'");
    }
    const text = options.answer ?? inline;
    if (text === undefined) {
      throw usageFailure('The answer is missing', answerHint());
    }
    const answer = parseAnswer(text);
    const promptId = await this.remote.resolveId(options, 'prompt', id);
    const reply = await this.remote
      .call(options, 'prompts.answer', { promptId, answer })
      .catch((error: unknown) => {
        // The server names what is wrong; the hint shows what each kind takes.
        if (error instanceof CliFailure && error.code === 'VALIDATION_FAILED') {
          throw new CliFailure(error.code, error.message, error.exitCode, answerHint());
        }
        throw error;
      });
    this.printer.result(options.json === true, reply, () =>
      this.printer.line(`Prompt ${reply.prompt.id} is ${reply.prompt.status}.`),
    );
  }

  @Help('after')
  answerShapes(): string {
    return `\nAnswers by prompt kind (a prompt's kind is in \`prompts list\`):\n${answerShapesText()}\n`;
  }

  @Option({ flags: '--answer <json>', description: 'The answer, a JSON object' })
  parseAnswerOption(value: string): string {
    return value;
  }

  @Option({
    flags: '--json [answer]',
    description: 'Alone: print one JSON document. With a value: the answer (protocol.md form)',
  })
  override parseJson(value?: string): boolean | string {
    return value === undefined ? true : value;
  }
}

@Command({
  name: 'prompts',
  description: 'Prompts waiting for a person, on a running server: list | answer',
  subCommands: [PromptsListCommand, PromptsAnswerCommand],
})
export class PromptsCommand extends GroupCommand {
  protected readonly usage = "skill-fleet prompts list | prompts answer ID --answer '<json>'";
}
