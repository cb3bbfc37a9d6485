import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../../src/common/errors/app-error';
import {
  defineWorkflow,
  PermanentError,
  WorkflowDefinition,
} from '../../src/modules/jobs/workflow';

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

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });

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

export const TEST_WORKFLOWS = [stepsWorkflow] as WorkflowDefinition<never, unknown>[];
