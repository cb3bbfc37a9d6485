import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { RUN_JOB } from '#src/modules/jobs/jobs.queue';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { allEvents, createStepsJob, Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import { executions } from '../support/test-workflows';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { sleep } from '../support/wait-for';

describe(`job engine (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  const effects = sideEffectDir();

  beforeAll(async () => {
    server = await startTestServer();
    rest = restClient(server.httpUrl, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs a 5-step job to completion with a gapless, ordered event log', async () => {
    const jobId = await createStepsJob(rest, { steps: 5, sideEffectDir: effects });
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job).toMatchObject({ result: { steps: 5 }, error: null, progress: { percent: 100 } });
    const events = await allEvents(rest, jobId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('job.created');
    // The contract's `job.created {job}`: the job as it was created.
    expect(events[0].payload).toEqual({
      job: expect.objectContaining({ id: jobId, status: 'queued', workflow: 'test.steps' }),
    });
    expect(types.at(-1)).toBe('job.completed');
    const stepEvents = events
      .filter((e) => e.type.startsWith('step.'))
      .map((e) => `${e.type} ${String(e.payload.step)}`);
    expect(stepEvents).toEqual(
      [1, 2, 3, 4, 5].flatMap((i) => [`step.started step-${i}`, `step.completed step-${i}`]),
    );
    const completed = events.find((e) => e.type === 'step.completed');
    expect(completed?.payload).toMatchObject({ usage: { totalTokens: 10 } });
    for (const k of [0, 3, events.length - 1]) {
      const after = await rest.get(`/jobs/${jobId}/events?afterSeq=${k}`);
      expect(after.body.events.map((e: { seq: number }) => e.seq)).toEqual(
        events.slice(k).map((e) => e.seq),
      );
    }
    for (let i = 1; i <= 5; i++) expect(executions(effects, jobId, i)).toHaveLength(1);
  });

  it('runs a job delivered twice only once', async () => {
    const jobId = await createStepsJob(rest, { steps: 2, stepMs: 200, sideEffectDir: effects });
    const queue = server.app.get<Queue>(getQueueToken('jobs'));
    await queue.add(RUN_JOB, { jobId }, { jobId: `${jobId}-dup-a`, removeOnComplete: true });
    await queue.add(RUN_JOB, { jobId }, { jobId: `${jobId}-dup-b`, removeOnComplete: true });
    await waitForStatus(rest, jobId, 'completed');
    expect(executions(effects, jobId, 1)).toHaveLength(1);
    expect(executions(effects, jobId, 2)).toHaveLength(1);
  });

  it('cancels a long step within a second; the step sees the abort and no later step runs', async () => {
    const jobId = await createStepsJob(rest, { steps: 3, stepMs: 20000, sideEffectDir: effects });
    await waitFor(() => executions(effects, jobId, 1).length === 1);
    const started = Date.now();
    const cancelled = await rest.post(`/jobs/${jobId}/cancel`, { reason: 'test' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.job.status).toBe('cancelled');
    await waitFor(() => executions(effects, jobId, 1).some((line) => line.startsWith('aborted')), {
      timeoutMs: 1000,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(300);
    expect(executions(effects, jobId, 2)).toHaveLength(0);
    const events = await allEvents(rest, jobId);
    expect(events.at(-1)).toMatchObject({ type: 'job.cancelled', payload: { reason: 'test' } });
    const again = await rest.post(`/jobs/${jobId}/cancel`);
    expect(again).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
  });

  it('retries a flaky step with backoff and records the attempts', async () => {
    const jobId = await createStepsJob(rest, {
      steps: 2,
      failTimes: { '2': 2 },
      sideEffectDir: effects,
    });
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.attempts).toBe(3);
    expect(executions(effects, jobId, 1)).toHaveLength(1);
    expect(executions(effects, jobId, 2)).toHaveLength(3);
    const failures = (await allEvents(rest, jobId)).filter((e) => e.type === 'step.failed');
    expect(failures.map((e) => e.payload.willRetry)).toEqual([true, true]);
  });

  it('fails at once on a PermanentError, and jobs.retry continues from the failed step', async () => {
    const jobId = await createStepsJob(rest, {
      steps: 3,
      permanentOnceAt: 2,
      sideEffectDir: effects,
    });
    const failed = await waitForStatus(rest, jobId, 'failed');
    expect(failed.error).toEqual({ code: 'TEST_REFUSED', message: 'step 2 refuses' });
    expect(failed.attempts).toBe(1);
    expect((await allEvents(rest, jobId)).at(-1)?.type).toBe('job.failed');

    const retried = await rest.post(`/jobs/${jobId}/retry`);
    expect(retried.status).toBe(200);
    await waitForStatus(rest, jobId, 'completed');
    expect(executions(effects, jobId, 1)).toHaveLength(1);
    expect(executions(effects, jobId, 2)).toHaveLength(2);
    expect(executions(effects, jobId, 3)).toHaveLength(1);
    const retryAgain = await rest.post(`/jobs/${jobId}/retry`);
    expect(retryAgain).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
  });

  it('lists newest first with a working cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(await createStepsJob(rest, { steps: 1, sideEffectDir: effects }));
    const first = await rest.get('/jobs?limit=2');
    expect(first.body.jobs.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
    const second = await rest.get(`/jobs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.jobs[0].id).toBe(ids[0]);
  });

  it('is idempotent per idempotencyKey', async () => {
    const body = {
      workflow: 'test.steps',
      input: { steps: 1, sideEffectDir: effects },
      idempotencyKey: 'same-key',
    };
    const a = await rest.post('/jobs', body);
    const b = await rest.post('/jobs', body);
    expect(b.body.job.id).toBe(a.body.job.id);
  });
});
