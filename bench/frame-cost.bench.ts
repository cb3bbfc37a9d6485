import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { BenchRow } from './bench-row';
import { fmtMs, median, met, withServicesApp } from './support';

/** The hostile frame of issue 15: 60,000 keys no method knows, about 650 KB of JSON. */
const KEYS = 60_000;
const REFUSAL_GOAL_MS = 100;
const PING_GOAL_MS = 50;

const log = (message: string) => process.stderr.write(`[frame-cost bench] ${message}\n`);

/** A client that sends frames and resolves each reply by its id. */
class Client {
  private readonly waiting = new Map<
    string,
    (reply: { ok: boolean; error?: { code: string } }) => void
  >();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as {
        type: string;
        replyTo?: string;
        ok: boolean;
        error?: { code: string };
      };
      if (frame.type !== 'reply' || !frame.replyTo) return;
      this.waiting.get(frame.replyTo)?.(frame);
      this.waiting.delete(frame.replyTo);
    });
  }

  static open(url: string, token: string): Promise<Client> {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends `text` (a whole frame whose id is `id`) and waits for its reply. */
  send(text: string, id: string): Promise<{ ok: boolean; error?: { code: string } }> {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(text);
    });
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * `jobs.create` with a 60,000-key payload, sent again and again: the time from sending it to its
 * refusal (VALIDATION_FAILED), and meanwhile the round-trips of pings on a second connection. The
 * clients run in the server's process, so their own work (masking and sending 650 KB) is counted
 * too: the figures are upper bounds.
 */
export async function runFrameCostBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const rounds = opts.quick ? 5 : 20;
  return withServicesApp('framecost', { worker: false, workflows: [] }, log, async ({ server }) => {
    const token = fs.readFileSync(server.config.adminTokenFile, 'utf8').trim();
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
    const sender = await Client.open(wsUrl, token);
    const pinger = await Client.open(wsUrl, token);
    try {
      const payload = Object.fromEntries(Array.from({ length: KEYS }, (_, i) => [`k${i}`, 1]));
      const refusals: number[] = [];
      const pings: number[] = [];
      let pingId = 0;
      // Warm-up round (JIT, first connection setup), not counted.
      for (let round = -1; round < rounds; round++) {
        const id = `big-${round}`;
        const frame = JSON.stringify({ v: 1, id, type: 'jobs.create', payload });
        let pinging = true;
        const roundPings: number[] = [];
        const pingLoop = (async () => {
          while (pinging) {
            const pid = `p${pingId++}`;
            const start = performance.now();
            const reply = await pinger.send(JSON.stringify({ v: 1, id: pid, type: 'ping' }), pid);
            if (!reply.ok) throw new Error('a ping was refused');
            roundPings.push(performance.now() - start);
          }
        })();
        const start = performance.now();
        const reply = await sender.send(frame, id);
        const refusedMs = performance.now() - start;
        pinging = false;
        await pingLoop;
        if (reply.ok || reply.error?.code !== 'VALIDATION_FAILED') {
          throw new Error(
            `the frame was not refused with VALIDATION_FAILED: ${JSON.stringify(reply)}`,
          );
        }
        if (round >= 0) {
          refusals.push(refusedMs);
          pings.push(...roundPings);
        }
      }
      const worstRefusal = Math.max(...refusals);
      const worstPing = Math.max(...pings);
      log(
        `refusal median ${fmtMs(median(refusals))}, worst ${fmtMs(worstRefusal)}; ` +
          `${pings.length} pings, worst ${fmtMs(worstPing)}`,
      );
      return [
        {
          name: `refusal of a ${KEYS.toLocaleString('en-US')}-unknown-key frame (${Math.round(
            Buffer.byteLength(JSON.stringify(payload)) / 1024,
          )} KiB), worst of ${rounds}`,
          ours: fmtMs(worstRefusal),
          note: `median ${fmtMs(median(refusals))}; goal: < ${REFUSAL_GOAL_MS} ms: ${met(
            worstRefusal < REFUSAL_GOAL_MS,
          )}`,
        },
        {
          name: 'worst ping round-trip on another connection meanwhile',
          ours: fmtMs(worstPing),
          note: `${pings.length} pings, median ${fmtMs(median(pings))}; goal: < ${PING_GOAL_MS} ms: ${met(
            worstPing < PING_GOAL_MS,
          )}`,
        },
      ];
    } finally {
      sender.close();
      pinger.close();
    }
  });
}
