import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import WebSocket, { WebSocketServer } from 'ws';
import { EventBus } from '../src/common/events/event-bus';
import { JobsService } from '../src/modules/jobs/jobs.service';
import { defineWorkflow, WorkflowDefinition } from '../src/modules/jobs/workflow';
import type { BenchRow } from './bench-row';
import {
  BENCH_PRINCIPAL,
  int,
  mapLimit,
  median,
  met,
  percentile,
  withServicesApp,
} from './support';

const FANOUTS = [1, 10, 100, 1000];
/** Events in flight (published, not yet delivered to every subscriber) during a throughput run. */
const WINDOW = 32;
const CONNECT_IN_FLIGHT = 50;
const REPLAY_EVENTS = 10_000;
/** The replay storm: this many clients replay a finished job of STORM_EVENTS events at once. */
const STORM_CLIENTS = 100;
const STORM_EVENTS = 20;
const IDLE_WORKFLOW = 'bench.idle';

interface Sizes {
  /** Storms measured (each on a fresh job, so the tail starts cold). */
  stormRounds: number;
  /** Deliveries per throughput run (events × subscribers). */
  deliveries: number;
  /** Events published one at a time for the latency figure, per fan-out. */
  latencyEvents: number;
  /** Measured rounds of each comparison; the median is reported. */
  rounds: number;
  replayRounds: number;
}

const QUICK: Sizes = {
  deliveries: 60_000,
  latencyEvents: 40,
  rounds: 1,
  replayRounds: 3,
  stormRounds: 3,
};
const FULL: Sizes = {
  deliveries: 300_000,
  latencyEvents: 200,
  rounds: 3,
  replayRounds: 5,
  stormRounds: 7,
};

/** Never runs: the bench has no worker, so its jobs stay queued and only the bench writes events. */
const idleWorkflow = defineWorkflow<Record<string, never>, null>({
  name: IDLE_WORKFLOW,
  async parseInput() {
    return {};
  },
  async run() {
    return null;
  },
});

// ---------------------------------------------------------------------------------------------
// Small helpers

const log = (message: string) => process.stderr.write(`[gateway bench] ${message}\n`);
const ms = (value: number): string => `${value.toFixed(2)} ms`;

/** A typical stored event's payload; `t` carries the publish time for the latency figure. */
const payloadAt = (t: number) => ({
  step: 'generate#2',
  durationMs: 1834,
  usage: { promptTokens: 812, completionTokens: 1690, totalTokens: 2502 },
  t,
});

function openSocket(url: string, token?: string): Promise<WebSocket> {
  const socket = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Measuring deliveries

/** Counts deliveries of each seq to `size` subscribers; an event is complete when all have it. */
class Round {
  readonly latencies: number[] = [];
  completed = 0;
  private readonly counts = new Map<number, number>();
  private waiter: (() => void) | undefined;

  constructor(readonly size: number) {}

  delivered(seq: number, publishedAt: number): void {
    this.latencies.push(performance.now() - publishedAt);
    const count = (this.counts.get(seq) ?? 0) + 1;
    if (count < this.size) {
      this.counts.set(seq, count);
      return;
    }
    this.counts.delete(seq);
    this.completed++;
    this.waiter?.();
  }

  async until(completed: number): Promise<void> {
    while (this.completed < completed) {
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/** The same client code for both servers: parse the frame, note which seq arrived and when. */
class Audience {
  readonly sockets: WebSocket[] = [];
  round: Round | undefined;

  add(socket: WebSocket): void {
    this.sockets.push(socket);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as {
        type: string;
        seq?: number;
        payload?: { t?: number };
      };
      if (frame.type === 'event' && frame.seq !== undefined && frame.payload?.t !== undefined) {
        this.round?.delivered(frame.seq, frame.payload.t);
      }
    });
  }

  close(): void {
    for (const socket of this.sockets) socket.terminate();
  }
}

/** Publishes one event (seq, publish time) to the current subscribers. */
type Publish = (seq: number, publishedAt: number) => void;

interface Measured {
  deliveriesPerSecond: number;
  p99Ms: number;
}

/** Floods `events` events with at most WINDOW in flight: deliveries/s. */
async function flood(
  audience: Audience,
  size: number,
  events: number,
  publish: Publish,
  firstSeq: number,
) {
  const round = new Round(size);
  audience.round = round;
  const start = performance.now();
  for (let i = 0; i < events; i++) {
    if (i - round.completed >= WINDOW) await round.until(i - WINDOW + 1);
    publish(firstSeq + i, performance.now());
  }
  await round.until(events);
  return (size * events) / ((performance.now() - start) / 1000);
}

/** Publishes events one at a time, each once the last reached every subscriber: p99 latency. */
async function paced(
  audience: Audience,
  size: number,
  events: number,
  publish: Publish,
  firstSeq: number,
) {
  const round = new Round(size);
  audience.round = round;
  for (let i = 0; i < events; i++) {
    publish(firstSeq + i, performance.now());
    await round.until(i + 1);
  }
  return percentile(round.latencies, 0.99);
}

// ---------------------------------------------------------------------------------------------
// The two servers

interface Target {
  name: string;
  audience: Audience;
  /** Makes the first `size` sockets the subscribers and returns how to publish to them. */
  prepare(size: number): Promise<{ publish: Publish; firstSeq: number }>;
}

async function gatewayTarget(
  url: string,
  token: string,
  bus: EventBus,
  jobs: JobsService,
  max: number,
) {
  const audience = new Audience();
  (await mapLimit(max, CONNECT_IN_FLIGHT, () => openSocket(url, token))).forEach((socket) =>
    audience.add(socket),
  );
  const target: Target = {
    name: 'gateway',
    audience,
    async prepare(size) {
      // A fresh queued job per fan-out: its log holds job.created (seq 1); the bench adds the rest.
      const job = await jobs.create(BENCH_PRINCIPAL, { workflow: IDLE_WORKFLOW, input: {} });
      await mapLimit(size, CONNECT_IN_FLIGHT, async (i) => {
        const socket = audience.sockets[i];
        const id = `s-${job.id}-${i}`;
        const replied = new Promise<void>((resolve) => {
          const onMessage = (data: WebSocket.RawData) => {
            if (data.toString().includes(`"replyTo":"${id}"`)) {
              socket.off('message', onMessage);
              resolve();
            }
          };
          socket.on('message', onMessage);
        });
        socket.send(
          JSON.stringify({ v: 1, id, type: 'jobs.subscribe', payload: { jobId: job.id } }),
        );
        await replied;
      });
      return {
        firstSeq: 2,
        publish: (seq, publishedAt) =>
          bus.publish({
            kind: 'job-event',
            jobId: job.id,
            ownerId: job.ownerId,
            seq,
            type: 'step.completed',
            payload: payloadAt(publishedAt),
            ts: new Date().toISOString(),
          }),
      };
    },
  };
  return target;
}

async function bareTarget(max: number) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const accepted: WebSocket[] = [];
  server.on('connection', (socket) => accepted.push(socket));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const audience = new Audience();
  (await mapLimit(max, CONNECT_IN_FLIGHT, () => openSocket(url))).forEach((socket) =>
    audience.add(socket),
  );
  while (accepted.length < max) await new Promise((resolve) => setImmediate(resolve));
  const topic = 'job:00000000-0000-4000-8000-000000000000';
  const target: Target = {
    name: 'bare ws',
    audience,
    async prepare(size) {
      // Server sockets accept in a different order than clients connect; any `size` of them will do.
      const subscribers = accepted.slice(0, size);
      return {
        firstSeq: 2,
        publish: (seq, publishedAt) => {
          const frame = JSON.stringify({
            v: 1,
            type: 'event',
            topic,
            event: 'step.completed',
            seq,
            ts: new Date().toISOString(),
            payload: payloadAt(publishedAt),
          });
          for (const socket of subscribers) socket.send(frame);
        },
      };
    },
  };
  return { target, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function measureTarget(target: Target, size: number, sizes: Sizes): Promise<Measured> {
  const events = Math.max(50, Math.round(sizes.deliveries / size));
  const rates: number[] = [];
  const p99s: number[] = [];
  for (let round = 0; round < sizes.rounds; round++) {
    const { publish, firstSeq } = await target.prepare(size);
    let seq = firstSeq;
    // Warm-up; it also waits until every new subscription has caught up and is live.
    const warmup = Math.round(events / 5);
    await flood(target.audience, size, warmup, publish, seq);
    seq += warmup;
    rates.push(await flood(target.audience, size, events, publish, seq));
    seq += events;
    p99s.push(await paced(target.audience, size, sizes.latencyEvents, publish, seq));
  }
  return { deliveriesPerSecond: median(rates), p99Ms: median(p99s) };
}

// ---------------------------------------------------------------------------------------------
// Replay

/** A job whose log holds `events` stored events after job.created. */
async function jobWithLog(jobs: JobsService, direct: Client, events: number): Promise<string> {
  const job = await jobs.create(BENCH_PRINCIPAL, { workflow: IDLE_WORKFLOW, input: {} });
  await direct.query(
    `INSERT INTO job_events (job_id, seq, type, payload)
       SELECT $1, g, 'step.completed',
              jsonb_build_object('step', 'step-' || g, 'durationMs', 3,
                                 'usage', jsonb_build_object('totalTokens', 2502))
         FROM generate_series(2, $2::int + 1) AS g`,
    [job.id, events],
  );
  await direct.query('UPDATE jobs SET last_seq = $2 WHERE id = $1', [job.id, events + 1]);
  return job.id;
}

/** A reconnecting client: connect, subscribe from seq 0, until the last stored event. */
async function replay(url: string, token: string, jobId: string) {
  const start = performance.now();
  const socket = await openSocket(url, token);
  const connected = performance.now();
  const last = `"seq":${REPLAY_EVENTS + 1},`;
  const done = new Promise<void>((resolve, reject) => {
    let count = 0;
    socket.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"type":"event"')) count++;
      if (!text.includes(last)) return;
      if (count === REPLAY_EVENTS + 1) resolve();
      else reject(new Error(`replay delivered ${count} events, not ${REPLAY_EVENTS + 1}`));
    });
  });
  socket.send(
    JSON.stringify({ v: 1, id: 'r', type: 'jobs.subscribe', payload: { jobId, afterSeq: 0 } }),
  );
  await done;
  const end = performance.now();
  socket.terminate();
  return { totalMs: end - start, replayMs: end - connected };
}

async function rawRead(direct: Client, jobId: string): Promise<number> {
  const start = performance.now();
  const { rows } = await direct.query(
    'SELECT seq, type, payload, created_at FROM job_events WHERE job_id = $1 AND seq > 0 ORDER BY seq',
    [jobId],
  );
  if (rows.length !== REPLAY_EVENTS + 1) throw new Error(`raw read found ${rows.length} events`);
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------------
// Replay storm (issue 19): many clients replay one finished job at once

/**
 * Sends `request` on every socket at once and waits until each has received `frames` event frames:
 * deliveries/s from the first send to the last frame. Returns the frames the first socket got.
 */
async function storm(sockets: WebSocket[], request: (i: number) => string, frames: number) {
  const received: Buffer[] = [];
  const start = performance.now();
  await Promise.all(
    sockets.map(
      (socket, i) =>
        new Promise<void>((resolve) => {
          let count = 0;
          const onMessage = (data: WebSocket.RawData) => {
            const text = data.toString();
            if (!text.startsWith('{"v":1,"type":"event"')) return;
            if (i === 0) received.push(Buffer.from(text));
            if (++count < frames) return;
            socket.off('message', onMessage);
            resolve();
          };
          socket.on('message', onMessage);
          socket.send(request(i));
        }),
    ),
  );
  const seconds = (performance.now() - start) / 1000;
  return { deliveriesPerSecond: (sockets.length * frames) / seconds, received };
}

/** A bare `ws` server that answers any message with the given frames, in order. */
async function bareReplayServer(frames: () => Buffer[]) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) =>
    socket.on('message', () => {
      for (const frame of frames()) socket.send(frame);
    }),
  );
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * STORM_CLIENTS connected clients send jobs.subscribe {afterSeq: 0} for a finished job of
 * STORM_EVENTS events at the same moment, against a bare `ws` server answering each request with the
 * same frames. A fresh job each round, so every storm starts with nothing of it in memory.
 */
async function measureStorm(
  url: string,
  token: string,
  jobs: JobsService,
  direct: Client,
  sizes: Sizes,
): Promise<BenchRow> {
  const total = STORM_EVENTS + 1; // job.created and the stored events
  let frames: Buffer[] = [];
  const bare = await bareReplayServer(() => frames);
  const ours = await mapLimit(STORM_CLIENTS, CONNECT_IN_FLIGHT, () => openSocket(url, token));
  const theirs = await mapLimit(STORM_CLIENTS, CONNECT_IN_FLIGHT, () => openSocket(bare.url));
  try {
    const gatewayRates: number[] = [];
    const bareRates: number[] = [];
    for (let round = 0; round <= sizes.stormRounds; round++) {
      const jobId = await jobWithLog(jobs, direct, STORM_EVENTS);
      const request = (i: number) =>
        JSON.stringify({
          v: 1,
          id: `storm-${round}-${i}`,
          type: 'jobs.subscribe',
          payload: { jobId, afterSeq: 0 },
        });
      const gateway = await storm(ours, request, total);
      frames = gateway.received;
      const base = await storm(theirs, request, total);
      for (const socket of ours) {
        socket.send(
          JSON.stringify({ v: 1, id: 'u', type: 'jobs.unsubscribe', payload: { jobId } }),
        );
      }
      if (round === 0) continue; // warm-up
      gatewayRates.push(gateway.deliveriesPerSecond);
      bareRates.push(base.deliveriesPerSecond);
    }
    const ratio = median(gatewayRates) / median(bareRates);
    return {
      name: `replay storm: ${STORM_CLIENTS} clients replay a finished job's ${STORM_EVENTS} events at once`,
      ours: `${int(median(gatewayRates))} deliveries/s`,
      baseline: `${int(median(bareRates))} deliveries/s bare ws, the same frames`,
      ratio: ratio.toFixed(2),
      note:
        `goal: ≥ 0.6 of bare ws: ${met(ratio >= 0.6)}; jobs.subscribe {afterSeq: 0} sent by every ` +
        `client at once, until each has all ${total} events; a fresh job per round (nothing of it ` +
        `in memory); median of ${sizes.stormRounds} rounds`,
    };
  } finally {
    for (const socket of [...ours, ...theirs]) socket.terminate();
    await bare.close();
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The gateway benchmark of issue 5, services mode: fan-out of one event payload through our gateway
 * (bus → subscription registry → sockets, Redis pub/sub included) against a bare `ws` server sending
 * the same frame, the cost of replaying 10,000 stored events to a reconnecting client, and a replay
 * storm (issue 19) against a bare `ws` server sending the same frames.
 */
export async function runGatewayBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick ? QUICK : FULL;
  return withServicesApp(
    'gateway',
    { worker: false, workflows: [idleWorkflow as WorkflowDefinition<never, unknown>] },
    log,
    async ({ server, direct }) => {
      const cleanups: (() => Promise<void>)[] = [];
      try {
        const token = fs.readFileSync(server.config.adminTokenFile, 'utf8').trim();
        const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
        const jobs = server.app.get(JobsService);

        const max = Math.max(...FANOUTS);
        log(`connecting ${max} clients to each server`);
        const gateway = await gatewayTarget(wsUrl, token, server.app.get(EventBus), jobs, max);
        cleanups.push(async () => gateway.audience.close());
        const bare = await bareTarget(max);
        cleanups.push(async () => {
          bare.target.audience.close();
          await bare.close();
        });

        const rows: BenchRow[] = [];
        for (const size of FANOUTS) {
          const ours = await measureTarget(gateway, size, sizes);
          const base = await measureTarget(bare.target, size, sizes);
          log(
            `${size} subscribers: gateway ${int(ours.deliveriesPerSecond)}/s p99 ${ms(ours.p99Ms)}, ` +
              `bare ${int(base.deliveriesPerSecond)}/s p99 ${ms(base.p99Ms)}`,
          );
          const ratio = ours.deliveriesPerSecond / base.deliveriesPerSecond;
          const added = ours.p99Ms - base.p99Ms;
          const goal =
            size === 100
              ? `goal: ≥ 50 % of bare deliveries/s and ≤ 5 ms added p99: ${
                  ratio >= 0.5 && added <= 5 ? 'met' : 'NOT met'
                }; `
              : '';
          rows.push({
            name: `fan-out of one event to ${int(size)} subscriber${size === 1 ? '' : 's'}`,
            ours: `${int(ours.deliveriesPerSecond)} deliveries/s, p99 ${ms(ours.p99Ms)}`,
            baseline: `${int(base.deliveriesPerSecond)} deliveries/s, p99 ${ms(base.p99Ms)} bare ws`,
            ratio: `${(ratio * 100).toFixed(1)} %`,
            note:
              `${goal}p99 added ${ms(added)}; deliveries/s with ${WINDOW} events in flight, p99 ` +
              `publish→receive with 1 in flight; ours includes the Redis bus hop; ` +
              `${sizes.rounds === 1 ? '1 round' : `median of ${sizes.rounds} rounds`}`,
          });
        }

        log(`replay storm: ${STORM_CLIENTS} clients, ${sizes.stormRounds} rounds`);
        rows.push(await measureStorm(wsUrl, token, jobs, direct, sizes));

        log(`replaying ${int(REPLAY_EVENTS)} stored events, ${sizes.replayRounds} rounds`);
        const jobId = await jobWithLog(jobs, direct, REPLAY_EVENTS);
        await replay(wsUrl, token, jobId); // warm-up
        const replays: { totalMs: number; replayMs: number }[] = [];
        const reads: number[] = [];
        for (let round = 0; round < sizes.replayRounds; round++) {
          replays.push(await replay(wsUrl, token, jobId));
          reads.push(await rawRead(direct, jobId));
        }
        const replayMs = median(replays.map((r) => r.replayMs));
        const readMs = median(reads);
        rows.push({
          name: `resume: replay ${int(REPLAY_EVENTS)} stored events to a reconnecting client`,
          ours: `${ms(replayMs)} (${int((REPLAY_EVENTS / replayMs) * 1000)} events/s); ${ms(
            median(replays.map((r) => r.totalMs)),
          )} with connect`,
          baseline: `${ms(readMs)} raw pg SELECT of the same rows`,
          ratio: `${(replayMs / readMs).toFixed(2)}×`,
          note: `no goal; jobs.subscribe {afterSeq: 0} until the last event, pages of 1000; median of ${sizes.replayRounds}`,
        });
        return rows;
      } finally {
        for (const cleanup of cleanups.reverse()) {
          await cleanup().catch((error: Error) => log(`cleanup failed: ${error.message}`));
        }
      }
    },
  );
}
