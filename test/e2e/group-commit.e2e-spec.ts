import { DataSource } from 'typeorm';
import { JobChange, JobStore, JobTx, NewEvent } from '#src/modules/jobs/job-store';
import { e2eMode } from '../support/e2e-env';
import {
  allEvents,
  completedSteps,
  createStepsJob,
  expectGapless,
  sideEffectDir,
  suiteServer,
  waitForStatus,
} from '../support/jobs';
import { completedStepRecord } from '../support/step-record';
import { executions } from '../support/test-workflows';
import { waitFor } from '../support/wait-for';
import { WorkerProcess } from '../support/worker-process';

const stepNames = (steps: number) => Array.from({ length: steps }, (_, i) => `step-${i + 1}`);

describe(`group commit (${e2eMode()} mode)`, () => {
  const suite = suiteServer({ env: { JOB_LEASE_SECONDS: '5', SWEEP_INTERVAL_MS: '300' } });
  const effects = sideEffectDir();
  afterEach(() => jest.restoreAllMocks());

  /** Finished jobs put back to `running` under `owner`'s lease, as if a run of ours held them. */
  async function runningJobs(count: number, owner: string): Promise<string[]> {
    const ids = await Promise.all(
      Array.from({ length: count }, () =>
        createStepsJob(suite.rest, { steps: 1, sideEffectDir: effects }),
      ),
    );
    await Promise.all(ids.map((id) => waitForStatus(suite.rest, id, 'completed')));
    await suite.server.app.get(DataSource).query(
      `UPDATE jobs SET status = 'running', lease_owner = $2,
           lease_expires_at = now() + interval '1 hour' WHERE id = ANY($1::uuid[])`,
      [ids, owner],
    );
    return ids;
  }

  it('fails only the transition of the job that was cancelled meanwhile; the rest of the batch commits', async () => {
    const owner = 'group-commit-test';
    const [first, ...batched] = await runningJobs(4, owner);
    const cancelled = batched[1];
    const db = suite.server.app.get(DataSource);
    await db.query(`UPDATE jobs SET status = 'cancelled', lease_owner = NULL WHERE id = $1`, [
      cancelled,
    ]);
    const before = new Map(
      await Promise.all(
        [first, ...batched].map(
          async (id) => [id, (await allEvents(suite.rest, id)).length] as const,
        ),
      ),
    );
    const many = jest.spyOn(JobTx.prototype, 'transitionMany');
    const store = suite.server.app.get(JobStore);
    const events: NewEvent[] = [
      { type: 'step.completed', payload: { step: 'extra-1', durationMs: 0 } },
      { type: 'step.started', payload: { step: 'extra-2', attempt: 1 } },
    ];
    const change = {
      from: ['running' as const],
      where: { leaseOwner: owner },
      set: { currentStep: 'extra-2' },
      steps: [completedStepRecord('extra-1')],
      events,
    };
    // The first goes alone, at once; the three made while it is in flight share one statement.
    const results = await Promise.all(
      [first, ...batched].map((id) => store.transitionGrouped(id, change)),
    );

    expect(many).toHaveBeenCalledTimes(1);
    expect((many.mock.calls[0][0] as JobChange[]).map((c) => c.jobId)).toEqual(batched);
    expect(results.map((job) => job?.id ?? null)).toEqual([first, batched[0], null, batched[2]]);
    for (const id of [first, batched[0], batched[2]]) {
      const log = await allEvents(suite.rest, id);
      expectGapless(log);
      expect(log.slice(before.get(id)).map((e) => e.type)).toEqual([
        'step.completed',
        'step.started',
      ]);
      const [job] = await db.query(`SELECT current_step FROM jobs WHERE id = $1`, [id]);
      expect(job.current_step).toBe('extra-2');
    }
    // The cancelled job got no events, but its finished step's output is kept, as a lone
    // transition keeps it.
    expect(await allEvents(suite.rest, cancelled)).toHaveLength(before.get(cancelled)!);
    const steps = await db.query(
      `SELECT name, output FROM job_steps WHERE job_id = $1 AND name = 'extra-1'`,
      [cancelled],
    );
    expect(steps).toEqual([{ name: 'extra-1', output: { name: 'extra-1' } }]);
  });

  it('gives every job in a batch whose commit failed the error, and the engine retries them all through', async () => {
    const many = jest.spyOn(JobTx.prototype, 'transitionMany');
    let failedBatch: string[] = [];
    many.mockImplementationOnce(function (this: JobTx, changes: JobChange[]) {
      failedBatch = changes.map((c) => c.jobId);
      return Promise.reject(new Error('connection terminated by the test'));
    });
    const ids = await Promise.all(
      Array.from({ length: 12 }, () =>
        createStepsJob(suite.rest, { steps: 8, sideEffectDir: effects }),
      ),
    );
    await Promise.all(ids.map((id) => waitForStatus(suite.rest, id, 'completed', 60000)));

    expect(failedBatch.length).toBeGreaterThan(1);
    for (const id of ids) {
      const events = await allEvents(suite.rest, id);
      expectGapless(events);
      expect(completedSteps(events)).toEqual(stepNames(8));
      const sawError = events.some(
        (e) =>
          e.type === 'job.log' &&
          String(e.payload.message).includes('connection terminated by the test'),
      );
      expect(sawError).toBe(failedBatch.includes(id));
      // The failed statement carried the previous step's end, kept for the retry's write: no step
      // ran twice.
      for (let step = 1; step <= 8; step++) expect(executions(effects, id, step)).toHaveLength(1);
    }
  }, 90000);
});

if (e2eMode() === 'services') {
  describe('group commit across a worker crash (services mode)', () => {
    const suite = suiteServer({ worker: false });
    const workers: WorkerProcess[] = [];
    const effects = sideEffectDir();
    const workerEnv = () => ({
      ...suite.server.env,
      JOB_LEASE_SECONDS: '5',
      SWEEP_INTERVAL_MS: '300',
      WORKER_CONCURRENCY: '50',
    });

    afterAll(async () => {
      await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
    });

    it('SIGKILL while 50 jobs write their steps: every log gapless, no durable step runs again', async () => {
      const steps = 10;
      const ids = await Promise.all(
        Array.from({ length: 50 }, () =>
          createStepsJob(suite.rest, { steps, stepMs: 30, sideEffectDir: effects }),
        ),
      );
      workers.push(await WorkerProcess.start(workerEnv()));
      // Every job is under way (so their writes are being grouped) before the kill.
      await waitFor(() => ids.every((id) => executions(effects, id, 2).length > 0), {
        timeoutMs: 60000,
      });
      await workers[0].kill('SIGKILL');
      // What had been reported durable when the worker died.
      const db = suite.server.app.get(DataSource);
      const durable = (await db.query(
        `SELECT job_id, name FROM job_steps WHERE job_id = ANY($1::uuid[]) AND status = 'completed'`,
        [ids],
      )) as { job_id: string; name: string }[];
      expect(durable.length).toBeGreaterThan(0);

      workers.push(await WorkerProcess.start(workerEnv()));
      await Promise.all(ids.map((id) => waitForStatus(suite.rest, id, 'completed', 90000)));

      for (const { job_id, name } of durable) {
        expect([job_id, name, executions(effects, job_id, Number(name.slice(5))).length]).toEqual([
          job_id,
          name,
          1,
        ]);
      }
      for (const id of ids) {
        const events = await allEvents(suite.rest, id);
        expectGapless(events);
        expect(completedSteps(events)).toEqual(stepNames(steps));
      }
    }, 180000);
  });
}
