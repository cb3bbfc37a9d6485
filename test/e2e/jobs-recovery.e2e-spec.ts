import { DataSource } from 'typeorm';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { allEvents, createStepsJob, Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import { executions } from '../support/test-workflows';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WorkerProcess } from '../support/worker-process';

const expectGapless = (events: { seq: number }[]) =>
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));

describe(`recovery (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  const effects = sideEffectDir();

  beforeAll(async () => {
    server = await startTestServer({ env: { JOB_LEASE_SECONDS: '5', SWEEP_INTERVAL_MS: '300' } });
    rest = restClient(server.httpUrl, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('re-queues a running job whose lease expired and resumes it from its last finished step', async () => {
    const jobId = await createStepsJob(rest, { steps: 3, stepMs: 50, sideEffectDir: effects });
    await waitForStatus(rest, jobId, 'completed');
    // Rewind the job to look like a worker died in step 3 with steps 1-2 done.
    const db = server.app.get(DataSource);
    await db.query(
      `UPDATE job_steps SET status = 'running', output = NULL WHERE job_id = $1 AND name = 'step-3'`,
      [jobId],
    );
    await db.query(
      `UPDATE jobs SET status = 'running', lease_owner = 'dead-worker', result = NULL,
         finished_at = NULL, lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [jobId],
    );
    await waitFor(async () => {
      const events = await allEvents(rest, jobId);
      return events.filter((e) => e.type === 'job.completed').length === 2;
    });
    expect(executions(effects, jobId, 1)).toHaveLength(1);
    expect(executions(effects, jobId, 2)).toHaveLength(1);
    expect(executions(effects, jobId, 3)).toHaveLength(2);
    const events = await allEvents(rest, jobId);
    expectGapless(events);
    expect(
      events.some((e) => e.type === 'job.log' && String(e.payload.message).includes('lease')),
    ).toBe(true);
  });

  it('enqueues again a queued job the queue lost', async () => {
    const db = server.app.get(DataSource);
    const jobId = await createStepsJob(rest, { steps: 1, sideEffectDir: effects });
    await waitForStatus(rest, jobId, 'completed');
    // A queued row that was never delivered, as after a Redis flush or a failed enqueue.
    await db.query(
      `UPDATE jobs SET status = 'queued', result = NULL, finished_at = NULL,
         updated_at = now() - interval '1 minute', version = version + 1 WHERE id = $1`,
      [jobId],
    );
    await db.query(`DELETE FROM job_steps WHERE job_id = $1`, [jobId]);
    await waitFor(() => executions(effects, jobId, 1).length === 2, { timeoutMs: 15000 });
    await waitForStatus(rest, jobId, 'completed');
  });
});

if (e2eMode() === 'services') {
  describe('worker processes (services mode)', () => {
    let api: TestServer;
    let rest: Rest;
    const workers: WorkerProcess[] = [];
    const effects = sideEffectDir();
    const workerEnv = () => ({ ...api.env, JOB_LEASE_SECONDS: '5', SWEEP_INTERVAL_MS: '500' });

    beforeAll(async () => {
      api = await startTestServer({ worker: false });
      rest = restClient(api.httpUrl, api.adminToken);
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((worker) => worker.kill('SIGTERM')));
    });
    afterAll(async () => {
      await api?.stop();
    });

    it('survives SIGKILL of its worker in the middle of step 3: steps 1-2 ran once, nothing lost', async () => {
      workers.push(await WorkerProcess.start(workerEnv()));
      const jobId = await createStepsJob(rest, { steps: 5, stepMs: 400, sideEffectDir: effects });
      await waitFor(() => executions(effects, jobId, 3).length === 1, { timeoutMs: 20000 });
      await workers[0].kill('SIGKILL');
      workers.push(await WorkerProcess.start(workerEnv()));
      await waitForStatus(rest, jobId, 'completed', 40000);
      expect(executions(effects, jobId, 1)).toHaveLength(1);
      expect(executions(effects, jobId, 2)).toHaveLength(1);
      expect(executions(effects, jobId, 3)).toHaveLength(2);
      const events = await allEvents(rest, jobId);
      expectGapless(events);
      const completedSteps = events
        .filter((e) => e.type === 'step.completed')
        .map((e) => e.payload.step);
      expect(completedSteps).toEqual(['step-1', 'step-2', 'step-3', 'step-4', 'step-5']);
    }, 90000);

    it('drains 1,000 queued jobs on 2 worker processes without losing or repeating one', async () => {
      const ids: string[] = [];
      for (let batch = 0; batch < 10; batch++) {
        ids.push(
          ...(await Promise.all(
            Array.from({ length: 100 }, () =>
              createStepsJob(rest, { steps: 1, sideEffectDir: effects }),
            ),
          )),
        );
      }
      workers.push(await WorkerProcess.start(workerEnv()), await WorkerProcess.start(workerEnv()));
      const db = api.app.get(DataSource);
      await waitFor(
        async () => {
          const [{ count }] = await db.query(
            `SELECT count(*)::int AS count FROM jobs WHERE id = ANY($1::uuid[]) AND status = 'completed'`,
            [ids],
          );
          return count === ids.length;
        },
        { timeoutMs: 120000, intervalMs: 500 },
      );
      const runs = ids.map((id) => executions(effects, id, 1).length);
      expect(runs.filter((n) => n !== 1)).toEqual([]);
      const pids = new Set(
        ids.flatMap((id) => executions(effects, id, 1).map((l) => l.split(' ')[1])),
      );
      expect(pids.size).toBe(2);
    }, 180000);
  });
}
