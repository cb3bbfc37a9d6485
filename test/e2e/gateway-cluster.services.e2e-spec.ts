import { SkillFleetClient } from '#src/client/index';
import type { EventFrame } from '#src/client/index';
import { e2eMode } from '../support/e2e-env';
import { createToken, described, FINAL_EVENTS, untilFinal } from '../support/gateway';
import { restClient } from '../support/http';
import { allEvents, sideEffectDir } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WorkerProcess } from '../support/worker-process';
import { WsTestClient } from '../support/ws-test-client';

/**
 * Services mode only (the e2e config runs `*.services.e2e-spec.ts` files in that mode alone): one
 * deployment of two gateway processes' worth of apps and a worker process.
 */
describe(`gateway fan-out across processes (${e2eMode()} mode)`, () => {
  let gatewayA: TestServer;
  let gatewayB: TestServer;
  let worker: WorkerProcess;
  const effects = sideEffectDir();

  beforeAll(async () => {
    gatewayA = await startTestServer({ worker: false });
    gatewayB = await startTestServer({ worker: false, shareWith: gatewayA });
    worker = await WorkerProcess.start(gatewayA.env);
  });
  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await gatewayB?.stop();
    await gatewayA?.stop();
  });

  it('streams a job created on gateway A to a client of gateway B, who answers its prompt', async () => {
    const adminA = await WsTestClient.connect(gatewayA.wsUrl, gatewayA.adminToken);
    const user = await createToken(adminA, 'zoe');
    const clientA = await WsTestClient.connect(gatewayA.wsUrl, user.token);
    const clientB = await SkillFleetClient.connect({ url: gatewayB.wsUrl, token: user.token });

    const feedOnB: EventFrame[] = [];
    await clientB.subscribeFeed(['jobs', 'prompts'], (event) => feedOnB.push(event)).ready;

    const created = await clientA.request('jobs.create', {
      workflow: 'test.ask',
      input: {
        sideEffectDir: effects,
        prompts: [
          {
            kind: 'confirm',
            payload: { summary: 'A skill', path: 'python/async', assumptions: [] },
          },
        ],
      },
    });
    const jobId = (created.payload!.job as { id: string }).id;
    await clientA.request('jobs.subscribe', { jobId, afterSeq: 0 });

    const seenOnB: EventFrame[] = [];
    const answered: Promise<unknown>[] = [];
    clientB.subscribeJob(
      jobId,
      (event) => {
        seenOnB.push(event);
        if (event.event === 'prompt.opened') {
          const prompt = event.payload.prompt as { id: string };
          answered.push(
            clientB.call('prompts.answer', { promptId: prompt.id, answer: { action: 'proceed' } }),
          );
        }
      },
      { afterSeq: 0 },
    );

    const onA = await untilFinal(clientA, jobId, 30000);
    await waitFor(() => seenOnB.some((event) => FINAL_EVENTS.has(event.event)), {
      timeoutMs: 30000,
    });
    expect(answered).toHaveLength(1);
    await expect(answered[0]).resolves.toMatchObject({ prompt: { status: 'answered' } });

    const stored = await allEvents(restClient(gatewayA.httpUrl, gatewayA.adminToken), jobId);
    expect(stored.at(-1)?.type).toBe('job.completed');
    expect(stored.map((event) => event.type)).toEqual(
      expect.arrayContaining(['prompt.opened', 'prompt.answered']),
    );
    expect(described(seenOnB)).toEqual(described(stored));
    expect(described(onA)).toEqual(described(stored));

    // List-level events crossed processes too: the worker's updates reached B's feed.
    await waitFor(() =>
      feedOnB.some(
        (event) =>
          event.topic === 'jobs' &&
          (event.payload.job as { id: string; status: string }).status === 'completed',
      ),
    );
    expect(feedOnB.some((event) => event.event === 'prompt.opened')).toBe(true);

    await clientB.close();
    clientA.close();
    adminA.close();
  });

  it('gives subscribers on both gateways the full ordered stream of a fast job', async () => {
    const clientA = await WsTestClient.connect(gatewayA.wsUrl, gatewayA.adminToken);
    const clientB = await WsTestClient.connect(gatewayB.wsUrl, gatewayB.adminToken);
    const created = await clientA.request('jobs.create', {
      workflow: 'test.steps',
      input: { steps: 30, stepMs: 0, sideEffectDir: effects },
    });
    const jobId = (created.payload!.job as { id: string }).id;
    // B joins while the job runs, from seq 0; A only from its snapshot on.
    await clientB.request('jobs.subscribe', { jobId, afterSeq: 0 });
    const reply = await clientA.request('jobs.subscribe', { jobId });
    const fromA = reply.payload!.lastSeq as number;
    const onB = await untilFinal(clientB, jobId, 30000);
    const onA = await untilFinal(clientA, jobId, 30000);
    const stored = await allEvents(restClient(gatewayA.httpUrl, gatewayA.adminToken), jobId);
    expect(described(onB)).toEqual(described(stored));
    expect(described(onA)).toEqual(described(stored.filter((event) => event.seq > fromA)));
    clientA.close();
    clientB.close();
  });

  it('closes on gateway B the sockets of a token revoked on gateway A', async () => {
    const adminA = await WsTestClient.connect(gatewayA.wsUrl, gatewayA.adminToken);
    const user = await createToken(adminA, 'yves');
    const onB = await WsTestClient.connect(gatewayB.wsUrl, user.token);
    expect((await onB.request('ping')).ok).toBe(true);
    expect((await adminA.request('tokens.revoke', { id: user.id })).ok).toBe(true);
    await expect(onB.closed).resolves.toEqual({ code: 4401, reason: 'unauthorized' });
    adminA.close();
  });

  it('counts the worker process in system.status', async () => {
    const adminB = await WsTestClient.connect(gatewayB.wsUrl, gatewayB.adminToken);
    const reply = await adminB.request('system.status');
    expect(reply.payload).toMatchObject({ mode: 'services', workers: 1, db: 'up', redis: 'up' });
    adminB.close();
  });
});
