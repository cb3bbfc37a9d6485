import { PROTOCOL_METHODS } from '#src/client/protocol';
import { e2eMode } from '#test/support/e2e-env';
import { createToken } from '#test/support/gateway';
import { startTestServer, TestServer } from '#test/support/test-server';
import { waitFor } from '#test/support/wait-for';
import { random } from '#test/support/random';
import { WsTestClient } from '#test/support/ws-test-client';
import { storedState } from './stored-state';
import { sleep } from '#test/support/wait-for';

const FRAMES = 10_000;
const WINDOW = 250;

interface FuzzFrame {
  data: string | Buffer;
  /** The id the reply must carry, when the generator made one the server can read. */
  id?: string;
}

function generator(seed: number) {
  const next = random(seed);
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const methods = [...PROTOCOL_METHODS];
  const weird = [
    '',
    '\u0000',
    '\ud800',
    '\udfff',
    '💥'.repeat(40),
    '\u202e\u200b',
    'é'.repeat(100),
    '../../etc/passwd',
    'job:',
    '%00',
    '${jndi:x}',
    '<script>',
    "'; DROP TABLE jobs; --",
  ];
  const scalar = (): unknown =>
    pick([
      () => null,
      () => true,
      () => int(2 ** 31) - 2 ** 30,
      () => next() * 1e300,
      () => -0.5,
      () => pick(weird),
      () => 'x'.repeat(int(2000)),
      () => '00000000-0000-4000-8000-000000000000',
      () => [],
      () => ({}),
    ])();
  const value = (depth: number): unknown => {
    if (depth > 3 || next() < 0.5) return scalar();
    if (next() < 0.5) return Array.from({ length: int(4) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: int(4) }, () => [
        pick(['jobId', 'afterSeq', 'topics', 'input', 'workflow', 'id', pick(weird)]),
        value(depth + 1),
      ]),
    );
  };
  const nested = (depth: number, open: string, close: string) =>
    `${open.repeat(depth)}${close.repeat(depth)}`;
  let counter = 0;

  return (): FuzzFrame => {
    const id = `f-${++counter}`;
    switch (int(12)) {
      case 0: {
        // Truncated or corrupted JSON.
        const text = JSON.stringify({ v: 1, id, type: pick(methods), payload: value(0) });
        return { data: text.slice(0, int(text.length)) + pick(['', '}', '\\', '"']) };
      }
      case 1:
        return { data: pick(['', ' ', 'null', '1', '"s"', 'true', '[]', '[{}]', 'NaN', '{"v":1']) };
      case 2: {
        // Envelope fields of the wrong type.
        const frame: Record<string, unknown> = { v: 1, id, type: 'ping' };
        const field = pick(['v', 'id', 'type', 'payload']);
        frame[field] = pick([null, 0, 2, '1', [], {}, true, '', 'x'.repeat(65)]);
        const readable = field !== 'id';
        return { data: JSON.stringify(frame), id: readable ? id : undefined };
      }
      case 3:
        // A huge string where a short one belongs.
        return {
          data: JSON.stringify({ v: 1, id, type: 'x'.repeat(20_000 + int(200_000)) }),
          id,
        };
      case 4:
        return {
          data: JSON.stringify({
            v: 1,
            id,
            type: 'jobs.get',
            payload: { jobId: 'y'.repeat(20_000 + int(100_000)) },
          }),
          id,
        };
      case 5:
        // Deep nesting, in the payload or as the whole frame.
        return next() < 0.5
          ? {
              data: `{"v":1,"id":"${id}","type":"jobs.list","payload":{"a":${nested(5000 + int(20000), '{"a":', '}').replace(/\{"a":\}/, '{}')}}}`,
              id,
            }
          : { data: nested(10000 + int(50000), '[', ']') };
      case 6:
        // Unicode everywhere.
        return {
          data: JSON.stringify({
            v: 1,
            id,
            type: pick(weird),
            payload: { [pick(weird)]: pick(weird) },
          }),
          id,
        };
      case 7:
        return { data: Buffer.from(Array.from({ length: int(64) }, () => int(256))) };
      case 8:
        return { data: Buffer.from(JSON.stringify({ v: 1, id, type: 'ping' })) };
      case 9:
        // A known method with a random payload.
        return { data: JSON.stringify({ v: 1, id, type: pick(methods), payload: value(0) }), id };
      case 10:
        return { data: JSON.stringify({ v: 1, id, type: `${pick(methods)}${pick(weird)}` }), id };
      default:
        return {
          data: JSON.stringify({ v: 1, id, type: 'ping', payload: { pad: pick(weird) } }),
          id,
        };
    }
  };
}

describe(`gateway fuzz (${e2eMode()} mode)`, () => {
  let server: TestServer;
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100000);
  const problems: unknown[] = [];
  const onProblem = (error: unknown) => problems.push(error);

  beforeAll(async () => {
    process.on('unhandledRejection', onProblem);
    process.on('uncaughtException', onProblem);
    server = await startTestServer({
      worker: false,
      gateway: { rateLimit: { perSecond: 1e6, burst: 1e6 } },
    });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onProblem);
    process.off('uncaughtException', onProblem);
    await server?.stop();
  });

  it('answers broken frames with BAD_FRAME and unknown types with UNKNOWN_TYPE, staying open', async () => {
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const notJson = await client.sendRaw('{not json', null);
    expect(notJson.error?.code).toBe('BAD_FRAME');
    const noVersion = await client.sendRaw(JSON.stringify({ id: 'x1', type: 'ping' }), 'x1');
    expect(noVersion.error?.code).toBe('BAD_FRAME');
    const binary = await client.sendRaw(Buffer.from([1, 2, 3]), null);
    expect(binary.error?.code).toBe('BAD_FRAME');
    const unknown = await client.request('no.such.method');
    expect(unknown.error).toMatchObject({ code: 'UNKNOWN_TYPE' });
    expect(JSON.stringify(unknown)).not.toContain('stack');
    const still = await client.request('ping');
    expect(still.ok).toBe(true);
    client.close();
  });

  it(`answers each of ${FRAMES} malformed frames once and stays up (seed from FUZZ_SEED)`, async () => {
    const admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const user = await createToken(admin, 'fuzzer');
    const client = await WsTestClient.connect(server.wsUrl, user.token);
    const before = await storedState(server);
    const next = generator(seed);
    const expected: string[] = [];
    let sent = 0;
    while (sent < FRAMES) {
      const window = Math.min(WINDOW, FRAMES - sent);
      for (let i = 0; i < window; i++) {
        const frame = next();
        if (frame.id) expected.push(frame.id);
        client.socket.send(frame.data);
      }
      sent += window;
      await waitFor(() => client.replies.length >= sent, { timeoutMs: 20000, intervalMs: 5 });
    }
    await sleep(200);

    expect({ seed, replies: client.replies.length }).toEqual({ seed, replies: FRAMES });
    const byId = new Map<string | null, number>();
    for (const reply of client.replies) byId.set(reply.replyTo, (byId.get(reply.replyTo) ?? 0) + 1);
    const missing = expected.filter((id) => byId.get(id) !== 1);
    expect({ seed, missing }).toEqual({ seed, missing: [] });
    const codes = new Set(client.replies.map((reply) => reply.error?.code ?? 'ok'));
    expect({ seed, internal: codes.has('INTERNAL') }).toEqual({ seed, internal: false });
    for (const code of ['ok', 'BAD_FRAME', 'UNKNOWN_TYPE', 'VALIDATION_FAILED']) {
      expect(codes).toContain(code);
    }

    // Still serving, this socket and a new one.
    expect((await client.request('ping')).ok).toBe(true);
    const fresh = await WsTestClient.connect(server.wsUrl, user.token);
    expect((await fresh.request('ping')).ok).toBe(true);
    expect(problems).toEqual([]);
    // Nothing the fuzzer sent was stored: no row and no file appeared.
    expect({ seed, state: await storedState(server) }).toEqual({ seed, state: before });
    for (const socket of [client, fresh, admin]) socket.close();
  });
});
