import { EventBus } from '#src/common/events/event-bus';
import { TokensService } from '#src/modules/auth/tokens.service';
import { WsConnections } from '#src/gateway/ws-connections';
import { WsMethods } from '#src/gateway/ws-methods';
import { e2eMode } from '../support/e2e-env';
import {
  createToken,
  CreatedToken,
  described,
  jobFrames,
  rawSocket,
  untilFinal,
} from '../support/gateway';
import { restClient } from '../support/http';
import { allEvents, Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';
import { sleep } from '../support/wait-for';

const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';

describe(`gateway (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  let admin: WsTestClient;
  let alice: CreatedToken;
  let bob: CreatedToken;
  let aliceReadOnly: CreatedToken;
  const effects = sideEffectDir();
  const open: WsTestClient[] = [];

  const connect = async (token?: string) => {
    const client = await WsTestClient.connect(server.wsUrl, token);
    open.push(client);
    return client;
  };

  /** A test.steps job owned by `owner`, created over the WebSocket. */
  const createJob = async (owner: WsTestClient, steps: number, stepMs = 0): Promise<string> => {
    const reply = await owner.request('jobs.create', {
      workflow: 'test.steps',
      input: { steps, stepMs, sideEffectDir: effects },
    });
    if (!reply.ok) throw new Error(JSON.stringify(reply.error));
    return (reply.payload!.job as { id: string }).id;
  };

  beforeAll(async () => {
    server = await startTestServer({ gateway: { pingIntervalMs: 300 } });
    rest = restClient(server.httpUrl, server.adminToken);
    admin = await connect(server.adminToken);
    alice = await createToken(admin, 'alice');
    bob = await createToken(admin, 'bob');
    aliceReadOnly = await createToken(admin, 'alice', 'user', true);
  });
  afterEach(() => {
    for (const client of open.splice(1)) client.close();
  });
  afterAll(async () => {
    admin?.close();
    await server?.stop();
  });

  describe('authentication', () => {
    it.each([
      ['no token', undefined],
      ['a wrong token', 'sf_wrong'],
    ])('closes with 4401 for %s, sending nothing', async (_label, token) => {
      const client = await connect(token);
      await expect(client.closed).resolves.toEqual({ code: 4401, reason: 'unauthorized' });
      expect(client.replies).toHaveLength(0);
    });

    it('closes the open sockets of a revoked token with 4401 and refuses it afterwards', async () => {
      const carol = await createToken(admin, 'carol');
      const first = await connect(carol.token);
      const second = await connect(carol.token);
      const other = await connect(alice.token);
      expect((await first.request('ping')).ok).toBe(true);

      expect(await admin.request('tokens.revoke', { id: carol.id })).toMatchObject({
        ok: true,
        payload: {},
      });
      await expect(first.closed).resolves.toEqual({ code: 4401, reason: 'unauthorized' });
      await expect(second.closed).resolves.toEqual({ code: 4401, reason: 'unauthorized' });
      expect((await other.request('ping')).ok).toBe(true);

      const again = await connect(carol.token);
      await expect(again.closed).resolves.toMatchObject({ code: 4401 });
      const viaRest = await restClient(server.httpUrl, carol.token).get('/jobs');
      expect(viaRest).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
      const twice = await admin.request('tokens.revoke', { id: carol.id });
      expect(twice.error?.code).toBe('NOT_FOUND');
    });

    it('closes a socket whose token was revoked behind the bus, at the next heartbeat', async () => {
      const dave = await createToken(admin, 'dave');
      const client = await connect(dave.token);
      expect((await client.request('ping')).ok).toBe(true);
      await server.app.get(TokensService).revoke(dave.id);
      await expect(client.closed).resolves.toEqual({ code: 4401, reason: 'unauthorized' });
    });
  });

  describe('admin methods', () => {
    it('creates and lists tokens, showing each secret only once', async () => {
      const created = await createToken(admin, 'erin', 'user', true);
      expect(created).toEqual({
        id: expect.any(String),
        token: expect.stringMatching(/^sf_/),
        userId: 'erin',
        role: 'user',
        readOnly: true,
      });
      const listed = await admin.request('tokens.list');
      const tokens = listed.payload!.tokens as Record<string, unknown>[];
      const erin = tokens.find((token) => token.id === created.id);
      expect(erin).toEqual({
        id: created.id,
        userId: 'erin',
        role: 'user',
        readOnly: true,
        createdAt: expect.any(String),
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(JSON.stringify(listed)).not.toContain(created.token);
    });

    it('reports system.status', async () => {
      const reply = await admin.request('system.status');
      expect(reply.payload).toEqual({
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        mode: e2eMode(),
        workers: 1,
        queue: {
          waiting: expect.any(Number),
          active: expect.any(Number),
          delayed: expect.any(Number),
        },
        db: 'up',
        redis: e2eMode() === 'services' ? 'up' : 'unused',
      });
    });

    it('refuses admin methods to users and changes to read-only admins', async () => {
      const user = await connect(alice.token);
      for (const type of ['tokens.list', 'system.status']) {
        expect((await user.request(type)).error?.code).toBe('FORBIDDEN');
      }
      expect(
        (await user.request('tokens.create', { userId: 'x', role: 'admin' })).error?.code,
      ).toBe('FORBIDDEN');
      const readOnlyAdmin = await createToken(admin, 'auditor', 'admin', true);
      const auditor = await connect(readOnlyAdmin.token);
      expect((await auditor.request('tokens.list')).ok).toBe(true);
      const refused = await auditor.request('tokens.create', { userId: 'x', role: 'user' });
      expect(refused.error?.code).toBe('FORBIDDEN');
    });

    it('validates admin payloads', async () => {
      const bad = await admin.request('tokens.create', { userId: '', role: 'root', extra: 1 });
      expect(bad.error?.code).toBe('VALIDATION_FAILED');
      const fields = (bad.error?.details as { field: string }[]).map((d) => d.field);
      expect(fields).toEqual(
        expect.arrayContaining(['payload.userId', 'payload.role', 'payload.extra']),
      );
      expect((await admin.request('tokens.revoke', { id: 'nope' })).error?.code).toBe(
        'VALIDATION_FAILED',
      );
      expect((await admin.request('tokens.revoke', { id: UNKNOWN_JOB })).error?.code).toBe(
        'NOT_FOUND',
      );
      expect((await admin.request('system.status', { verbose: true })).error?.code).toBe(
        'VALIDATION_FAILED',
      );
    });
  });

  describe('authorisation', () => {
    it("hides another user's job as NOT_FOUND, on every method", async () => {
      const owner = await connect(alice.token);
      const stranger = await connect(bob.token);
      const jobId = await createJob(owner, 1);
      for (const [type, payload] of [
        ['jobs.get', { jobId }],
        ['jobs.subscribe', { jobId }],
        ['jobs.subscribe', { jobId, afterSeq: 0 }],
        ['jobs.cancel', { jobId }],
        ['jobs.retry', { jobId }],
      ] as const) {
        const reply = await stranger.request(type, payload);
        expect({ type, code: reply.error?.code }).toEqual({ type, code: 'NOT_FOUND' });
      }
      const listed = await stranger.request('jobs.list');
      expect(listed.payload!.jobs).toEqual([]);
      expect((await admin.request('jobs.get', { jobId })).ok).toBe(true);
      expect((await owner.request('jobs.get', { jobId })).ok).toBe(true);
    });

    it('lets a read-only token read and subscribe but not cancel or create', async () => {
      const owner = await connect(alice.token);
      const reader = await connect(aliceReadOnly.token);
      const jobId = await createJob(owner, 2, 300);
      expect((await reader.request('jobs.get', { jobId })).ok).toBe(true);
      expect((await reader.request('jobs.subscribe', { jobId, afterSeq: 0 })).ok).toBe(true);
      expect((await reader.request('jobs.cancel', { jobId })).error?.code).toBe('FORBIDDEN');
      const create = await reader.request('jobs.create', {
        workflow: 'test.steps',
        input: { steps: 1, sideEffectDir: effects },
      });
      expect(create.error?.code).toBe('FORBIDDEN');
      const events = await untilFinal(reader, jobId);
      expect(events.at(-1)?.event).toBe('job.completed');
    });
  });

  describe('job streams', () => {
    it('replays from afterSeq 0 then streams live, matching the stored log exactly', async () => {
      const client = await connect(alice.token);
      const jobId = await createJob(client, 5, 20);
      const order: string[] = [];
      client.socket.on('message', (data) => order.push(JSON.parse(data.toString()).type));
      const reply = await client.request('jobs.subscribe', { jobId, afterSeq: 0 });
      expect(reply.payload).toMatchObject({ job: { id: jobId }, lastSeq: expect.any(Number) });
      const frames = await untilFinal(client, jobId);
      await sleep(100);
      const stored = await allEvents(rest, jobId);
      expect(described(jobFrames(client, jobId))).toEqual(described(stored));
      expect(frames[0]).toMatchObject({
        v: 1,
        type: 'event',
        topic: `job:${jobId}`,
        event: 'job.created',
        seq: 1,
      });
      expect(order[0]).toBe('reply');
    });

    it('without afterSeq, sends only what follows the snapshot in the reply', async () => {
      const client = await connect(alice.token);
      const jobId = await createJob(client, 4, 100);
      await waitFor(async () => (await allEvents(rest, jobId)).length >= 4);
      const reply = await client.request('jobs.subscribe', { jobId });
      const lastSeq = reply.payload!.lastSeq as number;
      expect(lastSeq).toBeGreaterThanOrEqual(4);
      const frames = await untilFinal(client, jobId);
      const stored = await allEvents(rest, jobId);
      expect(described(frames)).toEqual(described(stored.filter((e) => e.seq > lastSeq)));
    });

    it('replays a finished job from any afterSeq, and unsubscribes', async () => {
      const client = await connect(alice.token);
      const jobId = await createJob(client, 3);
      await waitForStatus(rest, jobId, 'completed');
      const stored = await allEvents(rest, jobId);
      // The replays that send nothing come first: a stray frame from one of them would arrive
      // during a later round, whose frames must then equal its slice exactly.
      for (const k of [stored.length + 5, stored.length, stored.length - 1, 4, 0]) {
        client.events.length = 0;
        const reply = await client.request('jobs.subscribe', { jobId, afterSeq: k });
        expect(reply.payload!.lastSeq).toBe(stored.length);
        await waitFor(() => {
          expect(described(jobFrames(client, jobId))).toEqual(described(stored.slice(k)));
          return true;
        });
      }
      expect(await client.request('jobs.unsubscribe', { jobId })).toMatchObject({
        ok: true,
        payload: {},
      });
      expect((await client.request('jobs.unsubscribe', { jobId })).ok).toBe(true);
    });

    it('stops sending after jobs.unsubscribe', async () => {
      const client = await connect(alice.token);
      const jobId = await createJob(client, 3, 150);
      await client.request('jobs.subscribe', { jobId, afterSeq: 0 });
      await waitFor(() => jobFrames(client, jobId).length >= 2);
      await client.request('jobs.unsubscribe', { jobId });
      const seen = jobFrames(client, jobId).length;
      await waitForStatus(rest, jobId, 'completed');
      await sleep(100);
      expect(jobFrames(client, jobId)).toHaveLength(seen);
    });

    it('delivers ephemeral token events, without seq, to subscribers only', async () => {
      const owner = await connect(alice.token);
      const other = await connect(alice.token);
      const jobId = await createJob(owner, 1, 2000);
      await owner.request('jobs.subscribe', { jobId });
      server.app.get(EventBus).publish({
        kind: 'token',
        jobId,
        ownerId: 'alice',
        step: 'step-1',
        text: 'Hel',
        ts: new Date().toISOString(),
      });
      const token = await waitFor(() => owner.events.find((e) => e.event === 'token'));
      expect(token).toMatchObject({
        topic: `job:${jobId}`,
        payload: { step: 'step-1', text: 'Hel' },
      });
      expect(token).not.toHaveProperty('seq');
      await sleep(50);
      expect(other.events).toHaveLength(0);
      await owner.request('jobs.cancel', { jobId });
    });

    it('validates subscribe payloads', async () => {
      const client = await connect(alice.token);
      for (const payload of [
        { jobId: UNKNOWN_JOB, afterSeq: -1 },
        { jobId: UNKNOWN_JOB, afterSeq: 1.5 },
        { jobId: UNKNOWN_JOB, afterSeq: '3' },
        { jobId: 'abc' },
        {},
      ]) {
        const reply = await client.request('jobs.subscribe', payload);
        expect({ payload, code: reply.error?.code }).toEqual({
          payload,
          code: 'VALIDATION_FAILED',
        });
      }
      expect((await client.request('jobs.subscribe', { jobId: UNKNOWN_JOB })).error?.code).toBe(
        'NOT_FOUND',
      );
    });
  });

  describe('feeds', () => {
    it('sends job.updated to the owner and admins only, with a seq per connection', async () => {
      const owner = await connect(alice.token);
      const stranger = await connect(bob.token);
      const watcher = await connect(server.adminToken);
      for (const client of [owner, stranger, watcher]) {
        expect(await client.request('feed.subscribe', { topics: ['jobs'] })).toMatchObject({
          ok: true,
          payload: {},
        });
      }
      const jobId = await createJob(owner, 2);
      await waitForStatus(rest, jobId, 'completed');
      const mine = await waitFor(() => {
        const updates = owner.events.filter((e) => e.topic === 'jobs');
        return updates.some((e) => (e.payload.job as { status: string }).status === 'completed')
          ? updates
          : false;
      });
      expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i + 1));
      expect(mine[0]).toMatchObject({ event: 'job.updated', payload: { job: { id: jobId } } });
      await waitFor(() => watcher.events.some((e) => e.topic === 'jobs'));
      await sleep(100);
      expect(stranger.events.filter((e) => e.topic === 'jobs')).toHaveLength(0);
    });

    it('sends prompts and skills feed events to whoever may see them', async () => {
      const owner = await connect(alice.token);
      const stranger = await connect(bob.token);
      for (const client of [owner, stranger]) {
        await client.request('feed.subscribe', { topics: ['prompts', 'skills'] });
      }
      const bus = server.app.get(EventBus);
      bus.publish({
        kind: 'feed',
        topic: 'prompts',
        ownerId: 'alice',
        event: 'prompt.opened',
        payload: { prompt: { id: 'p1' } },
      });
      bus.publish({
        kind: 'feed',
        topic: 'skills',
        ownerId: null,
        event: 'skill.changed',
        payload: { skill: { id: 'python/x' } },
      });
      await waitFor(() => owner.events.length === 2 && stranger.events.length === 1);
      expect(owner.events.map((e) => `${e.topic} ${e.event} ${e.seq}`)).toEqual([
        'prompts prompt.opened 1',
        'skills skill.changed 1',
      ]);
      expect(stranger.events[0]).toMatchObject({ topic: 'skills', seq: 1 });
      const bad = await owner.request('feed.subscribe', { topics: ['jobs', 'secrets'] });
      expect(bad.error?.code).toBe('VALIDATION_FAILED');
      expect((await owner.request('feed.subscribe', { topics: [] })).error?.code).toBe(
        'VALIDATION_FAILED',
      );
    });
  });

  describe('limits and errors', () => {
    it('closes with 1009 on a frame over WS_MAX_PAYLOAD, and answers one just under it', async () => {
      const limit = server.config.wsMaxPayload;
      const client = await connect(alice.token);
      // Two halves: one string may not pass the payload's string limit (512 KiB).
      const frame = (size: number) => {
        const head = JSON.stringify({ v: 1, id: 'big', type: 'ping', payload: { a: '', b: '' } });
        const half = Math.floor((size - head.length) / 2);
        return head
          .replace('"a":""', `"a":"${'x'.repeat(half)}"`)
          .replace('"b":""', `"b":"${'x'.repeat(size - head.length - half)}"`);
      };
      const near = await client.sendRaw(frame(limit), 'big');
      expect(near.ok).toBe(true);
      client.socket.send(frame(limit + 1));
      await expect(client.closed).resolves.toMatchObject({ code: 1009 });
    });

    it('terminates a socket that stops answering pings', async () => {
      const client = await connect(alice.token);
      expect((await client.request('ping')).ok).toBe(true);
      const connections = server.app.get(WsConnections);
      const before = connections.size;
      rawSocket(client.socket).pause();
      await waitFor(() => connections.size === before - 1, { timeoutMs: 3000 });
      rawSocket(client.socket).resume();
      await expect(client.closed).resolves.toMatchObject({ code: 1006 });
    });

    it('answers INTERNAL with an errorId and nothing of the failure or the input', async () => {
      server.app.get(WsMethods).register('test.boom', async () => {
        throw new Error('SELECT secret FROM tokens');
      });
      const client = await connect(alice.token);
      const reply = await client.request('test.boom', { echo: 'my-input-123' });
      expect(reply.error).toEqual({
        code: 'INTERNAL',
        message: 'Internal error',
        errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(JSON.stringify(reply)).not.toMatch(/secret|my-input-123|stack/);
    });

    it('answers BAD_FRAME, UNKNOWN_TYPE and CONFLICT, keeping the socket open', async () => {
      const client = await connect(alice.token);
      expect((await client.sendRaw('[1,2]', null)).error?.code).toBe('BAD_FRAME');
      const noType = await client.sendRaw(JSON.stringify({ v: 1, id: 'n1' }), 'n1');
      expect(noType.error?.code).toBe('BAD_FRAME');
      expect((await client.request('jobs.nothing')).error?.code).toBe('UNKNOWN_TYPE');
      const jobId = await createJob(client, 1);
      await waitForStatus(rest, jobId, 'completed');
      const conflict = await client.request('jobs.cancel', { jobId });
      expect(conflict.error).toMatchObject({ code: 'CONFLICT', details: { status: 'completed' } });
      expect((await client.request('ping')).ok).toBe(true);
    });
  });
});

describe(`gateway rate limit and shutdown (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let stopped = false;

  beforeAll(async () => {
    server = await startTestServer({
      worker: false,
      gateway: { rateLimit: { perSecond: 5, burst: 10 } },
    });
  });
  afterAll(async () => {
    if (!stopped) await server?.stop();
  });

  it('answers RATE_LIMITED past the burst, each with its id, and recovers', async () => {
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    for (let i = 0; i < 25; i++) {
      client.socket.send(JSON.stringify({ v: 1, id: `r${i}`, type: 'ping' }));
    }
    client.socket.send('not json');
    await waitFor(() => client.replies.length === 26);
    const ok = client.replies.filter((r) => r.ok);
    const limited = client.replies.filter((r) => r.error?.code === 'RATE_LIMITED');
    expect(ok.length).toBeGreaterThanOrEqual(10);
    expect(ok.length).toBeLessThanOrEqual(12);
    expect(limited).toHaveLength(26 - ok.length);
    expect(new Set(client.replies.map((r) => r.replyTo)).size).toBe(26);
    expect(limited[0].error?.details).toEqual({ retryAfterMs: expect.any(Number) });
    await sleep(400);
    expect((await client.request('ping')).ok).toBe(true);
    client.close();
  });

  it('shuts down gracefully: in-flight replies finish, new requests get UNAVAILABLE, then 1001', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    server.app.get(WsMethods).register('test.hold', async () => {
      entered = true;
      await gate;
      return { held: true };
    });
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    client.socket.send(JSON.stringify({ v: 1, id: 'hold', type: 'test.hold' }));
    await waitFor(() => entered);

    const stopping = server.stop();
    stopped = true;
    await waitFor(() => server.app.get(WsConnections).draining);
    const refused = await client.request('ping');
    expect(refused.error?.code).toBe('UNAVAILABLE');
    const late = await WsTestClient.connect(server.wsUrl, server.adminToken);
    await expect(late.closed).resolves.toEqual({ code: 1001, reason: 'server shutting down' });

    release();
    await expect(client.closed).resolves.toEqual({ code: 1001, reason: 'server shutting down' });
    expect(client.replies.find((r) => r.replyTo === 'hold')).toMatchObject({
      ok: true,
      payload: { held: true },
    });
    await stopping;
  });
});
