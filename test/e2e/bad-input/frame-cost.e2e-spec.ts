import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { PAYLOAD_COST_LIMITS } from '#src/common/errors/payload-cost';
import { e2eMode } from '#test/support/e2e-env';
import { startTestServer, TestServer } from '#test/support/test-server';
import { waitFor } from '#test/support/wait-for';
import { WsTestClient } from '#test/support/ws-test-client';

const KEYS = 60_000;

/** A payload of `count` keys no method knows: about 650 KB of JSON for 60,000 of them. */
const unknownKeys = (count: number): Record<string, number> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 1]));

/** A masked client text frame (RFC 6455 5.2), for writing straight onto a raw TCP socket. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
  return Buffer.concat([header, mask, masked]);
}

/**
 * Opens /ws by hand and writes the upgrade request and `frames` in one TCP write, so that every frame
 * reaches the server before its token check can have ended. Resolves once the server has closed the
 * socket (with the close code it sent, 0 for none) or has replied `untilReplies` times.
 */
function framesWithUpgrade(
  server: TestServer,
  token: string,
  frames: Buffer[],
  untilReplies = Infinity,
): Promise<{ closeCode: number; replies: string[] }> {
  const { hostname, port } = new URL(server.httpUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let at = -1;
    let closeCode = 0;
    const replies: string[] = [];
    const done = () => {
      socket.destroy();
      resolve({ closeCode, replies });
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (at < 0) {
        const headerEnd = received.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        at = headerEnd + 4;
      }
      // Server frames are unmasked: opcode 0x1 text, 0x8 close (code in its first 2 bytes).
      while (at + 2 <= received.length) {
        const opcode = received[at] & 0x0f;
        let length = received[at + 1] & 0x7f;
        let start = at + 2;
        if (length === 126) {
          if (at + 4 > received.length) break;
          length = received.readUInt16BE(at + 2);
          start = at + 4;
        }
        if (start + length > received.length) break;
        const body = received.subarray(start, start + length);
        at = start + length;
        if (opcode === 0x1) replies.push(body.toString());
        if (opcode === 0x8) {
          closeCode = length >= 2 ? body.readUInt16BE(0) : 0;
          return done();
        }
      }
      if (replies.length >= untilReplies) done();
    });
    socket.on('close', () => resolve({ closeCode, replies }));
    socket.on('error', reject);
    socket.on('connect', () => {
      const upgrade = [
        'GET /ws HTTP/1.1',
        `Host: ${hostname}:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        `Authorization: Bearer ${token}`,
        '',
        '',
      ].join('\r\n');
      socket.write(Buffer.concat([Buffer.from(upgrade), ...frames]));
      setTimeout(done, 30_000).unref();
    });
  });
}

const ping = (id: number) => clientTextFrame(JSON.stringify({ v: 1, id: `p${id}`, type: 'ping' }));

describe(`frame cost (${e2eMode()} mode)`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ worker: false });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(`refuses a frame of ${KEYS} unknown keys with a short VALIDATION_FAILED, and other connections keep being answered`, async () => {
    const sender = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const pinger = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const frame = JSON.stringify({
      v: 1,
      id: 'big',
      type: 'jobs.create',
      payload: unknownKeys(KEYS),
    });
    expect(frame.length).toBeGreaterThan(600_000);
    expect(frame.length).toBeLessThan(1024 * 1024);

    let pinging = true;
    const pings: boolean[] = [];
    const pingLoop = (async () => {
      while (pinging) pings.push((await pinger.request('ping')).ok);
    })();
    const reply = await sender.sendRaw(frame, 'big');
    pinging = false;
    await pingLoop;

    // Refused from the frame's text, before parsing: more keys than a payload may hold in all.
    const excess = `has more than ${PAYLOAD_COST_LIMITS.maxEntries} keys and array elements in total`;
    expect(reply.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: `payload: ${excess}`,
      details: [{ field: 'payload', message: excess }],
    });
    expect(JSON.stringify(reply)).not.toContain('k59999');
    expect(pings.length).toBeGreaterThan(0);
    expect(pings.every(Boolean)).toBe(true);
    expect((await sender.request('ping')).ok).toBe(true);
    sender.close();
    pinger.close();
  });

  it('the same on methods without parameters, and over REST', async () => {
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const reply = await client.request('ping', unknownKeys(KEYS));
    expect(reply.error?.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(reply).length).toBeLessThan(1000);
    client.close();

    const response = await fetch(`${server.httpUrl}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(unknownKeys(KEYS)),
    });
    const body = await response.text();
    expect(response.status).toBe(400);
    expect(JSON.parse(body)).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(body.length).toBeLessThan(1000);
  });

  it('a payload with fewer keys than the limit but many unknown ones gets a capped list of details', async () => {
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const reply = await client.request('jobs.list', unknownKeys(500));
    expect(reply.error?.code).toBe('VALIDATION_FAILED');
    const details = reply.error?.details as { field: string; message: string }[];
    expect(details).toHaveLength(21);
    expect(details[20]).toEqual({ field: '…', message: 'and 480 more' });
    client.close();
  });

  it('frames sent with the upgrade wait for the token check: all answered with a good token, none with a wrong one', async () => {
    const frames = Array.from({ length: 40 }, (_, i) => ping(i));
    const accepted = await framesWithUpgrade(server, server.adminToken, frames, 40);
    expect(
      accepted.replies.map((reply) => (JSON.parse(reply) as { replyTo: string }).replyTo),
    ).toEqual(frames.map((_, i) => `p${i}`));
    const refused = await framesWithUpgrade(server, 'sf_wrong', frames);
    expect(refused).toEqual({ closeCode: 4401, replies: [] });
  });

  it('300 sockets with wrong tokens at once are all refused while an authenticated client is answered', async () => {
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const refusals = Array.from({ length: 300 }, () =>
      framesWithUpgrade(server, `sf_wrong_${randomBytes(8).toString('hex')}`, [ping(1)]).then(
        (result) => result.closeCode,
      ),
    );
    let pinging = true;
    const pings: boolean[] = [];
    const pingLoop = (async () => {
      while (pinging) pings.push((await client.request('ping')).ok);
    })();
    const codes = await Promise.all(refusals);
    pinging = false;
    await pingLoop;
    const counts: Record<number, number> = {};
    for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
    expect(counts).toEqual({ 4401: 300 });
    expect(pings.length).toBeGreaterThan(0);
    expect(pings.every(Boolean)).toBe(true);
    const ready = await waitFor(async () => {
      const response = await fetch(`${server.httpUrl}/health/ready`);
      return response.status === 200 ? response.status : false;
    });
    expect(ready).toBe(200);
    client.close();
  });
});
