import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { SkillFleetError } from './errors';
import type { EventFrame } from './protocol';
import { SkillFleetClient, StateChange } from './skill-fleet-client';
import { sleep } from '../common/sleep';

const TOKEN = 'good';
const JOB = 'job-1';

interface Received {
  type: string;
  payload: Record<string, unknown>;
}

/**
 * A small protocol server on loopback: token check, ping, a job log with subscriptions, feeds, and
 * knobs to drop connections or misbehave.
 */
class FakeServer {
  port = 0;
  readonly log: number[] = [];
  readonly received: Received[] = [];
  readonly sockets = new Set<WebSocket>();
  readonly subscribers = new Set<WebSocket>();
  connections = 0;
  /** Events sent to a subscriber beyond the log, to test the client's own guards. */
  extra: number[] = [];
  private server: WebSocketServer | undefined;

  async start(): Promise<void> {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: this.port });
    await new Promise((resolve) => this.server!.once('listening', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.server.on('connection', (socket, request) =>
      this.accept(socket, request.headers.authorization),
    );
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  dropAll(): void {
    for (const socket of this.sockets) socket.terminate();
  }

  /** Appends an event to the log and pushes it to the current subscribers. */
  emit(): void {
    const seq = this.log.length + 1;
    this.log.push(seq);
    for (const socket of this.subscribers) this.sendEvent(socket, seq);
  }

  subscribes(): Received[] {
    return this.received.filter((request) => request.type === 'jobs.subscribe');
  }

  private accept(socket: WebSocket, authorization: string | undefined): void {
    this.connections++;
    if (authorization !== `Bearer ${TOKEN}`) {
      socket.close(4401, 'unauthorized');
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.subscribers.delete(socket);
    });
    socket.on('message', (data) => this.answer(socket, JSON.parse(data.toString())));
  }

  private answer(
    socket: WebSocket,
    frame: { id: string; type: string; payload: Record<string, unknown> },
  ) {
    this.received.push({ type: frame.type, payload: frame.payload });
    const reply = (payload: unknown) =>
      socket.send(JSON.stringify({ v: 1, type: 'reply', replyTo: frame.id, ok: true, payload }));
    const fail = (code: string, details?: unknown) =>
      socket.send(
        JSON.stringify({
          v: 1,
          type: 'reply',
          replyTo: frame.id,
          ok: false,
          error: { code, message: code, details },
        }),
      );
    switch (frame.type) {
      case 'ping':
        return reply({ time: new Date().toISOString() });
      case 'jobs.subscribe': {
        if (frame.payload.jobId !== JOB) return fail('NOT_FOUND');
        const lastSeq = this.log.length;
        reply({ job: { id: JOB }, lastSeq });
        const after = (frame.payload.afterSeq as number | undefined) ?? lastSeq;
        for (const seq of this.log) if (seq > after) this.sendEvent(socket, seq);
        for (const seq of this.extra.splice(0)) this.sendEvent(socket, seq);
        this.subscribers.add(socket);
        return;
      }
      case 'jobs.unsubscribe':
        this.subscribers.delete(socket);
        return reply({});
      case 'feed.subscribe':
        return reply({});
      case 'test.fail':
        return fail('VALIDATION_FAILED', [{ field: 'payload.x', message: 'is bad' }]);
      case 'test.silent':
        return;
      default:
        return fail('UNKNOWN_TYPE');
    }
  }

  private sendEvent(socket: WebSocket, seq: number): void {
    socket.send(
      JSON.stringify({
        v: 1,
        type: 'event',
        topic: `job:${JOB}`,
        event: 'step',
        seq,
        ts: 'T',
        payload: { seq },
      }),
    );
  }
}

const FAST = { initialMs: 10, maxMs: 80, factor: 2, jitter: 0 };

const until = async (check: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
};

describe('SkillFleetClient', () => {
  let server: FakeServer;
  const clients: SkillFleetClient[] = [];

  const connect = async (options: Partial<Parameters<typeof SkillFleetClient.connect>[0]> = {}) => {
    const client = await SkillFleetClient.connect({
      url: server.url,
      token: TOKEN,
      backoff: FAST,
      ...options,
    });
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    server = new FakeServer();
    await server.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server.stop();
  });

  it('calls methods as promises, rejecting with the server code and details', async () => {
    const client = await connect();
    expect(client.state).toBe('open');
    await expect(client.call('ping')).resolves.toEqual({ time: expect.any(String) });
    const failure = client.call('test.fail', {});
    await expect(failure).rejects.toBeInstanceOf(SkillFleetError);
    await expect(failure).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'payload.x', message: 'is bad' }],
    });
  });

  it('refuses a bad token at connect, without retrying', async () => {
    await expect(
      SkillFleetClient.connect({ url: server.url, token: 'bad', backoff: FAST }),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    await sleep(50);
    expect(server.connections).toBe(1);
  });

  it('fails to connect when no server answers', async () => {
    await server.stop();
    await expect(SkillFleetClient.connect({ url: server.url, token: TOKEN })).rejects.toMatchObject(
      {
        code: 'CONNECTION_FAILED',
      },
    );
    await server.start();
  });

  it('reconnects with exponential backoff, reporting each state and attempt', async () => {
    const client = await connect();
    const changes: (StateChange & { at: number })[] = [];
    client.on('state', (change) => changes.push({ ...change, at: Date.now() }));
    await server.stop();
    await until(() => client.attempt >= 4);
    await server.start();
    await until(() => client.state === 'open');

    expect(changes.map((c) => `${c.state} ${c.attempt}`)).toEqual([
      'reconnecting 1',
      'reconnecting 2',
      'reconnecting 3',
      'reconnecting 4',
      ...changes.slice(4, -1).map((c) => `reconnecting ${c.attempt}`),
      'open 0',
    ]);
    expect(changes[0].closeCode).toBe(1006);
    const gaps = changes.slice(1, 4).map((c, i) => c.at - changes[i].at);
    // 10 ms, 20 ms, 40 ms before attempts 1-3: each wait at least as long as the one before.
    expect(gaps[1]).toBeGreaterThanOrEqual(gaps[0]);
    expect(gaps[2]).toBeGreaterThanOrEqual(15);
    await expect(client.call('ping')).resolves.toBeDefined();
  });

  it('resumes a job stream from the last seq it delivered, across several drops', async () => {
    const client = await connect();
    const seen: number[] = [];
    const sub = client.subscribeJob(JOB, (event) => seen.push(event.seq!), { afterSeq: 0 });
    await sub.ready;
    for (let i = 0; i < 60; i++) {
      server.emit();
      if (i % 15 === 7) {
        const before = server.subscribes().length;
        server.dropAll();
        await until(() => server.subscribes().length > before && server.subscribers.size === 1);
      }
      if (i % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => seen.length >= 60);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const resumes = server.subscribes().slice(1);
    expect(resumes.length).toBeGreaterThanOrEqual(4);
    for (const resume of resumes) expect(resume.payload.afterSeq).toEqual(expect.any(Number));
    expect(sub.lastSeq).toBe(60);
  });

  it('subscribes without afterSeq from the reply lastSeq, and resumes from there', async () => {
    server.emit();
    server.emit();
    const client = await connect();
    const seen: number[] = [];
    const snapshots: number[] = [];
    client.subscribeJob(JOB, (event) => seen.push(event.seq!), {
      onSubscribed: (reply) => snapshots.push(reply.lastSeq),
    });
    await until(() => snapshots.length === 1);
    server.dropAll();
    server.emit();
    await until(() => seen.length === 1);
    expect(seen).toEqual([3]);
    expect(server.subscribes().map((s) => s.payload.afterSeq)).toEqual([undefined, 2]);
    expect(snapshots).toEqual([2, 3]);
  });

  it('drops a duplicate and resubscribes on a gap', async () => {
    server.emit();
    server.emit();
    server.extra = [2, 5];
    const client = await connect();
    const seen: number[] = [];
    client.subscribeJob(JOB, (event) => seen.push(event.seq!), { afterSeq: 0 });
    await until(() => server.subscribes().length === 2);
    server.emit();
    await until(() => seen.length === 3);
    expect(seen).toEqual([1, 2, 3]);
    expect(server.subscribes()[1].payload).toEqual({ jobId: JOB, afterSeq: 2 });
  });

  it('queues calls made while reconnecting; a call in flight at the drop fails CONNECTION_LOST', async () => {
    const client = await connect();
    const inFlight = client.call('test.silent', {});
    await until(() => server.received.some((r) => r.type === 'test.silent'));
    await server.stop();
    await expect(inFlight).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    const queued = client.call('ping');
    await until(() => client.attempt >= 2);
    await server.start();
    await expect(queued).resolves.toEqual({ time: expect.any(String) });
  });

  it('re-subscribes feeds after a reconnect, telling the handler each time', async () => {
    const client = await connect();
    let subscribed = 0;
    const feed = client.subscribeFeed(['jobs'], () => undefined, {
      onSubscribed: () => subscribed++,
    });
    await feed.ready;
    server.dropAll();
    await until(() => subscribed === 2);
    expect(
      server.received.filter((r) => r.type === 'feed.subscribe').map((r) => r.payload),
    ).toEqual([{ topics: ['jobs'] }, { topics: ['jobs'] }]);
  });

  it('unsubscribes: tells the server and delivers nothing more, even after a reconnect', async () => {
    const client = await connect();
    const seen: number[] = [];
    const sub = client.subscribeJob(JOB, (event) => seen.push(event.seq!), { afterSeq: 0 });
    await sub.ready;
    server.emit();
    await until(() => seen.length === 1);
    await sub.unsubscribe();
    expect(server.received.at(-1)).toEqual({ type: 'jobs.unsubscribe', payload: { jobId: JOB } });
    server.emit();
    server.dropAll();
    await until(() => server.connections === 2 && client.state === 'open');
    await client.call('ping');
    expect(seen).toEqual([1]);
    expect(server.subscribes()).toHaveLength(1);
  });

  it('drops a subscription the server refuses', async () => {
    const client = await connect();
    const errors: SkillFleetError[] = [];
    const sub = client.subscribeJob('other', () => undefined, {
      onError: (error) => errors.push(error),
    });
    await expect(sub.ready).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(errors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    server.dropAll();
    await until(() => client.state === 'open' && server.connections === 2);
    await client.call('ping');
    expect(server.subscribes()).toHaveLength(1);
  });

  it('replaces a connection on which the server went silent', async () => {
    const client = await connect({ idleTimeoutMs: 100 });
    const changes: StateChange[] = [];
    client.on('state', (change) => changes.push(change));
    await until(() => changes.some((c) => c.state === 'open'), 2000);
    expect(changes[0]).toMatchObject({ state: 'reconnecting', closeCode: 1006 });
  });

  it('closes for good on 4401 after being open', async () => {
    const client = await connect();
    const changes: StateChange[] = [];
    client.on('state', (change) => changes.push(change));
    for (const socket of server.sockets) socket.close(4401, 'unauthorized');
    await until(() => client.state === 'closed');
    expect(changes).toEqual([
      expect.objectContaining({
        state: 'closed',
        closeCode: 4401,
        error: expect.objectContaining({ code: 'UNAUTHORIZED' }),
      }),
    ]);
    await expect(client.call('ping')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('close() rejects pending calls and reports closed', async () => {
    const client = await connect();
    const pending = expect(client.call('test.silent', {})).rejects.toMatchObject({
      code: 'CLOSED',
    });
    const events: EventFrame[] = [];
    const sub = client.subscribeJob(JOB, (event) => events.push(event));
    await client.close();
    await pending;
    await expect(sub.ready).rejects.toMatchObject({ code: 'CLOSED' });
    expect(client.state).toBe('closed');
  });
});
