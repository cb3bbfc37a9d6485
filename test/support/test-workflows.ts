import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError } from '#src/common/errors/app-error';
import { PermanentError } from '#src/common/errors/permanent-error';
import { checkRound, defineWorkflow, WorkflowDefinition } from '#src/modules/jobs/workflow';
import { sleep } from './wait-for';

/** Input of `test.steps`, a workflow registered only in tests to drive the engine. */
export interface StepsInput {
  steps: number;
  /** How long each step works, honouring the abort signal. */
  stepMs?: number;
  /** Step number → how many times it throws a retryable error before succeeding. */
  failTimes?: Record<string, number>;
  /** This step throws a PermanentError the first time it runs. */
  permanentOnceAt?: number;
  /** Every step call appends a line here, so tests count real executions across processes. */
  sideEffectDir: string;
}

export const sideEffectFile = (dir: string, jobId: string, step: number) =>
  path.join(dir, `${jobId}.step-${step}`);

export function executions(dir: string, jobId: string, step: number): string[] {
  const file = sideEffectFile(dir, jobId, step);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

export const stepsWorkflow = defineWorkflow<StepsInput, { steps: number }>({
  name: 'test.steps',
  backoffMs: 50,
  async parseInput(input) {
    const value = input as StepsInput;
    if (!Number.isInteger(value.steps) || value.steps < 1 || value.steps > 50) {
      throw AppError.validation([{ field: 'payload.input.steps', message: 'must be 1-50' }]);
    }
    if (typeof value.sideEffectDir !== 'string') {
      throw AppError.validation([{ field: 'payload.input.sideEffectDir', message: 'is required' }]);
    }
    return value;
  },
  async run(ctx, input) {
    for (let i = 1; i <= input.steps; i++) {
      await ctx.step(`step-${i}`, async ({ signal, recordUsage }) => {
        const file = sideEffectFile(input.sideEffectDir, ctx.jobId, i);
        fs.appendFileSync(file, `start ${process.pid}\n`);
        const runs = executions(input.sideEffectDir, ctx.jobId, i).length;
        try {
          await sleep(input.stepMs ?? 0, signal);
        } catch (error) {
          fs.appendFileSync(file, `aborted ${process.pid}\n`);
          throw error;
        }
        if (input.permanentOnceAt === i && runs === 1) {
          throw new PermanentError(`step ${i} refuses`, 'TEST_REFUSED');
        }
        if (runs <= (input.failTimes?.[String(i)] ?? 0)) throw new Error(`step ${i} flaked`);
        recordUsage({ totalTokens: 10 });
        return { step: i };
      });
      await ctx.progress((i / input.steps) * 100, `step ${i} of ${input.steps}`);
    }
    return { steps: input.steps };
  },
});

/** Input of `test.ask`: one prompt per entry, asked in order, each between two steps. */
export interface AskInput {
  prompts: { kind: string; payload: Record<string, unknown>; timeoutSeconds?: number }[];
  sideEffectDir: string;
  options?: { autoApprove?: boolean; promptTimeoutSeconds?: number; timeoutAction?: string };
}

export const askWorkflow = defineWorkflow<AskInput, { answers: unknown[] }>({
  name: 'test.ask',
  async parseInput(input) {
    return input as AskInput;
  },
  async run(ctx, input) {
    const answers: unknown[] = [];
    for (const [i, prompt] of input.prompts.entries()) {
      await ctx.step(`before-${i}`, async () => {
        fs.appendFileSync(
          sideEffectFile(input.sideEffectDir, ctx.jobId, i),
          `start ${process.pid}\n`,
        );
      });
      answers.push(
        await ctx.ask(`${prompt.kind}#${i}`, prompt.kind, prompt.payload, {
          timeoutSeconds: prompt.timeoutSeconds,
        }),
      );
    }
    return { answers };
  },
});

/** Input of `test.loop`: re-asks structure_fix while the answer keeps the name invalid. */
export interface LoopInput {
  maxRounds: number;
  options?: { autoApprove?: boolean };
}

export const loopWorkflow = defineWorkflow<LoopInput, { name: string }>({
  name: 'test.loop',
  async parseInput(input) {
    return input as LoopInput;
  },
  async run(ctx, input) {
    for (let round = 1; ; round++) {
      checkRound('structure_fix', round, input.maxRounds);
      const payload = {
        issues: ['name must be lower case'],
        current: { name: 'Bad_Name', description: 'x' },
        suggested: { name: 'Still_Bad' },
      };
      const answer = await ctx.ask<{ name?: string; acceptSuggestions?: boolean }>(
        `structure_fix#${round}`,
        'structure_fix',
        payload,
      );
      const name = answer.acceptSuggestions ? payload.suggested.name : (answer.name ?? '');
      if (/^[a-z0-9-]+$/.test(name)) return { name };
    }
  },
});

export const TEST_WORKFLOWS = [stepsWorkflow, askWorkflow, loopWorkflow] as WorkflowDefinition<
  never,
  unknown
>[];
