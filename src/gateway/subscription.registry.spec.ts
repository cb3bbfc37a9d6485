import { WebSocket } from 'ws';
import { FakeSocket } from '#test/support/fake-socket';
import { waitFor } from '#test/support/wait-for';
import { InProcessEventBus } from '../common/events/in-process-event-bus';
import { AppConfig } from '../config/app-config';
import type { JobEventView } from '../modules/jobs/job-view';
import type { JobsService } from '../modules/jobs/jobs.service';
import { DEFAULT_GATEWAY_LIMITS } from './gateway-settings';
import { SubscriptionRegistry } from './subscription.registry';
import { WsConnection } from './ws-connection';

const JOB = '00000000-0000-4000-8000-000000000001';
const principal = { tokenId: 't', userId: 'u', role: 'user' as const, readOnly: false };
const stored = (seq: number): JobEventView => ({
  seq,
  type: `e${seq}`,
  payload: { n: seq },
  ts: '2026-01-01T00:00:00.000Z',
});

/** A finished job's log of `count` events; each page read is counted and can be held open. */
function jobLog(count: number) {
  let events = Array.from({ length: count }, (_, i) => stored(i + 1));
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const eventPage = jest.fn(async (jobId: string, afterSeq: number, limit: number) => {
    const page = events.filter((event) => event.seq > afterSeq).slice(0, limit);
    const lastSeq = events.length;
    if (gate) await gate;
    return { events: page, lastSeq };
  });
  return {
    eventPage,
    hold: () => {
      gate = new Promise((resolve) => (release = resolve));
    },
    open: () => {
      gate = undefined;
      release?.();
    },
    append: (seq: number) => (events = [...events, stored(seq)]),
  };
}

function setup(count: number) {
  const bus = new InProcessEventBus();
  const log = jobLog(count);
  const registry = new SubscriptionRegistry(
    bus,
    { eventPage: log.eventPage } as unknown as JobsService,
    AppConfig.fromEnvironment({}),
  );
  /** Like jobs.subscribe: `count` streams listen first, then (their job checked) start reading. */
  const subscribeAll = (count: number, afterSeq: number) => {
    const opened = Array.from({ length: count }, () => {
      const socket = new FakeSocket();
      const connection = new WsConnection(
        socket as unknown as WebSocket,
        principal,
        DEFAULT_GATEWAY_LIMITS,
      );
      return { socket, stream: registry.openJobStream(connection, JOB) };
    });
    for (const { stream } of opened) stream.start(afterSeq);
    return opened.map(({ socket }) => socket);
  };
  const subscribe = (afterSeq: number) => subscribeAll(1, afterSeq)[0];
  const publish = (seq: number) =>
    bus.publish({ kind: 'job-event', jobId: JOB, ownerId: 'u', ...stored(seq) });
  return { registry, log, subscribe, subscribeAll, publish };
}

const seqsOf = (socket: FakeSocket) =>
  socket.sent.map((frame) => (JSON.parse(String(frame)) as { seq: number }).seq);
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const received = (sockets: FakeSocket[], count: number) =>
  waitFor(() => sockets.every((socket) => socket.sent.length >= count), { timeoutMs: 4_000 });

describe('SubscriptionRegistry replay', () => {
  it('serves replays of one job that start together from one page read, each frame encoded once', async () => {
    const { log, subscribeAll } = setup(20);
    log.hold();
    const sockets = subscribeAll(100, 0);
    log.open();
    await received(sockets, 20);
    expect(log.eventPage).toHaveBeenCalledTimes(1);
    for (const socket of sockets) expect(seqsOf(socket)).toEqual(upTo(20));
    // The very same bytes went to every socket: one encoding, not one per subscriber.
    for (let i = 0; i < 20; i++) {
      expect(new Set(sockets.map((socket) => socket.sent[i])).size).toBe(1);
    }
  });

  it('does not let a stream share a read that started before it listened for live events', async () => {
    const { log, subscribe, publish } = setup(20);
    log.hold();
    const early = subscribe(0); // its read is in flight and has not seen 21
    log.append(21);
    publish(21); // committed and published before the late stream listens
    await new Promise((resolve) => setImmediate(resolve));
    const late = subscribe(0);
    log.open();
    await received([early, late], 21);
    expect(seqsOf(late)).toEqual(upTo(21));
    expect(seqsOf(early)).toEqual(upTo(21));
    expect(log.eventPage).toHaveBeenCalledTimes(2);
  });

  it('serves a later replay from a recent seq out of the tail, without reading the log', async () => {
    const { log, subscribe, publish } = setup(20);
    await received([subscribe(0)], 20);
    publish(21);
    const late = subscribe(15);
    await received([late], 6);
    expect(seqsOf(late)).toEqual([16, 17, 18, 19, 20, 21]);
    expect(log.eventPage).toHaveBeenCalledTimes(1);
  });

  it('reads the log when the tail lacks the start of the range, or past a gap in what it heard', async () => {
    const { log, subscribe, publish } = setup(20);
    await received([subscribe(10)], 10); // the tail now holds 11-20 only
    subscribe(5);
    await waitFor(() => log.eventPage.mock.calls.length === 2, { timeoutMs: 4_000 });
    expect(log.eventPage.mock.calls[1].slice(1)).toEqual([5, 1000]);

    // 21 is committed but its publish never arrives here; 22's does: the tail must not join them.
    log.append(21);
    log.append(22);
    publish(22);
    const late = subscribe(20);
    await received([late], 2);
    expect(seqsOf(late)).toEqual([21, 22]);
    expect(log.eventPage).toHaveBeenLastCalledWith(JOB, 20, 1000);
  });
});
