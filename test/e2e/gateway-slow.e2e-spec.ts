import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import WebSocket from 'ws';
import { EventBus } from '#src/common/events/event-bus';
import { SubscriptionRegistry } from '#src/gateway/subscription.registry';
import { e2eMode } from '../support/e2e-env';
import { createToken, rawSocket } from '../support/gateway';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';

const LIMIT = 1024 * 1024;
const EVENT_BYTES = 256 * 1024;
const EVENTS = 400;
/** What the server may keep beyond its baseline: the slow socket's limit plus generous noise. */
const ALLOWED_GROWTH = 32 * 1024 * 1024;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap plus off-heap buffers (where queued socket data lives), after a full collection. */
function retained(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

describe(`gateway slow consumers (${e2eMode()} mode)`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      worker: false,
      gateway: { maxBufferedBytes: LIMIT, closeTimeoutMs: 60_000 },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('closes a client that never reads with 4429 while memory stays bounded', async () => {
    const admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const user = await createToken(admin, 'sloth');
    admin.close();

    // The slow client subscribes, then stops reading its socket altogether.
    const slow = await WsTestClient.connect(server.wsUrl, user.token);
    await slow.request('feed.subscribe', { topics: ['jobs'] });
    rawSocket(slow.socket).pause();

    // A healthy client on the same feed counts what it receives without keeping it.
    const healthy = new WebSocket(server.wsUrl, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    let received = 0;
    let subscribed = false;
    let healthyClosed: number | undefined;
    healthy.on('message', (data) => {
      if ((data as Buffer).length > EVENT_BYTES) received++;
      else subscribed ||= (JSON.parse(data.toString()) as { replyTo?: string }).replyTo === 'f';
    });
    healthy.on('close', (code) => (healthyClosed = code));
    await new Promise((resolve) => healthy.once('open', resolve));
    healthy.send(
      JSON.stringify({ v: 1, id: 'f', type: 'feed.subscribe', payload: { topics: ['jobs'] } }),
    );
    await waitFor(() => subscribed);

    const before = retained();
    const bus = server.app.get(EventBus);
    const job = { id: 'flood', status: 'running', input: { pad: 'x'.repeat(EVENT_BYTES) } };
    for (let i = 1; i <= EVENTS; i++) {
      bus.publish({ kind: 'job-updated', jobId: 'flood', ownerId: 'sloth', job: { ...job, n: i } });
      // Paced by the healthy reader, which must not be mistaken for a slow one.
      await waitFor(() => received >= i - 2, { timeoutMs: 10000, intervalMs: 1 });
    }
    await waitFor(() => received === EVENTS);
    const after = retained();

    expect(healthyClosed).toBeUndefined();
    expect(EVENTS * EVENT_BYTES).toBeGreaterThan(3 * ALLOWED_GROWTH);
    expect(after - before).toBeLessThan(ALLOWED_GROWTH);

    // Reading again, the slow client finds what was queued before the limit, then the close.
    rawSocket(slow.socket).resume();
    await expect(slow.closed).resolves.toEqual({ code: 4429, reason: 'slow consumer' });
    expect(slow.events.length).toBeLessThan(EVENTS / 4);

    healthy.close();
    await waitFor(() => server.app.get(SubscriptionRegistry).counts().feeds === 0);
  });
});
