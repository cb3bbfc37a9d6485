import WebSocket from 'ws';
import { BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff';
import { SkillFleetError } from './errors';
import {
  CLOSE_CODES,
  EventFrame,
  FeedEvent,
  FeedTopic,
  JobEvent,
  JobSubscribed,
  MethodName,
  Methods,
  ServerFrame,
} from './protocol';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  state: ConnectionState;
  /** Reconnect attempts since the connection was last open; 0 while open. */
  attempt: number;
  /** The close code of the connection that just ended, when one did. */
  closeCode?: number;
  /** Why the client closed for good, when it was not `close()`. */
  error?: SkillFleetError;
}

export interface SkillFleetClientOptions {
  /** `ws://host:port/ws` */
  url: string;
  token: string;
  /** Reconnect after a dropped connection (default true). The first connection is not retried. */
  reconnect?: boolean;
  /** Give up after this many reconnect attempts in a row (default: never). */
  maxReconnectAttempts?: number;
  backoff?: Partial<BackoffOptions>;
  /** A call without a reply after this long rejects with TIMEOUT (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * A connection on which the server sent nothing, not even a ping, for this long is taken as dead
   * and replaced (default 75 s, 2.5 server ping intervals; 0 turns it off).
   */
  idleTimeoutMs?: number;
  /** Passed to `ws` (agent, TLS options, extra headers …). */
  socketOptions?: WebSocket.ClientOptions;
}

/** Receives each event of a job's topic; `switch (event.event)` narrows its payload. */
export type JobEventHandler = (event: JobEvent) => void;
/** Receives each event of the subscribed feed topics; `switch (event.event)` narrows its payload. */
export type FeedEventHandler = (event: FeedEvent) => void;

export interface JobSubscribeOptions {
  /** Receive the events with seq greater than this; without it, only events after the reply. */
  afterSeq?: number;
  /** Called with every (re)subscription's reply: the job snapshot and its lastSeq. */
  onSubscribed?(reply: JobSubscribed): void;
  /** The server refused the subscription for good (e.g. NOT_FOUND); it has been dropped. */
  onError?(error: SkillFleetError): void;
}

export interface JobSubscription {
  readonly jobId: string;
  /** The seq of the last event delivered (or the start point before any arrived). */
  readonly lastSeq: number | undefined;
  /** Settles with the first subscription's reply. */
  readonly ready: Promise<JobSubscribed>;
  unsubscribe(): Promise<void>;
}

export interface FeedSubscribeOptions {
  /** Called after every (re)subscription: feed seqs restart, so re-list what you show. */
  onSubscribed?(): void;
  onError?(error: SkillFleetError): void;
}

export interface FeedSubscription {
  readonly topics: readonly FeedTopic[];
  readonly ready: Promise<void>;
  /** Stops delivery to this handler. (The protocol has no feed.unsubscribe; the server keeps sending.) */
  unsubscribe(): void;
}

interface Request {
  frame: string;
  sent: boolean;
  timer: NodeJS.Timeout;
  resolve(payload: unknown): void;
  reject(error: SkillFleetError): void;
}

/** Errors after which a subscription is retried rather than dropped. */
const TRANSIENT = new Set(['CONNECTION_LOST', 'TIMEOUT', 'RATE_LIMITED', 'UNAVAILABLE', 'CLOSED']);

class Settler<T> {
  readonly promise: Promise<T>;
  settled = false;
  private resolveFn!: (value: T) => void;
  private rejectFn!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    // Awaiting `ready` is optional; an unobserved refusal must not become an unhandled rejection.
    this.promise.catch(() => undefined);
  }

  resolve(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveFn(value);
  }

  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn(error);
  }
}

class JobSub implements JobSubscription {
  active = true;
  readonly first = new Settler<JobSubscribed>();
  cursor: number | undefined;

  constructor(
    readonly jobId: string,
    readonly handler: JobEventHandler,
    readonly options: JobSubscribeOptions,
    private readonly drop: (sub: JobSub) => Promise<void>,
  ) {
    this.cursor = options.afterSeq;
  }

  get lastSeq(): number | undefined {
    return this.cursor;
  }

  get ready(): Promise<JobSubscribed> {
    return this.first.promise;
  }

  unsubscribe(): Promise<void> {
    return this.drop(this);
  }
}

class FeedSub implements FeedSubscription {
  active = true;
  readonly first = new Settler<void>();

  constructor(
    readonly topics: readonly FeedTopic[],
    readonly handler: FeedEventHandler,
    readonly options: FeedSubscribeOptions,
    private readonly drop: (sub: FeedSub) => void,
  ) {}

  get ready(): Promise<void> {
    return this.first.promise;
  }

  unsubscribe(): void {
    this.drop(this);
  }
}

/**
 * A client of the Skill Fleet WebSocket protocol (docs/protocol.md §1): calls as promises, job and
 * feed subscriptions with handlers, and reconnection with exponential backoff. After a reconnect,
 * every job stream resumes from the last seq it delivered, so a handler sees each event once, in
 * order, across any number of reconnects.
 */
export class SkillFleetClient {
  private readonly options: Required<Omit<SkillFleetClientOptions, 'socketOptions' | 'backoff'>> & {
    backoff: BackoffOptions;
    socketOptions: WebSocket.ClientOptions;
  };
  private socket: WebSocket | undefined;
  private currentState: ConnectionState = 'connecting';
  private attempts = 0;
  private everOpen = false;
  private nextId = 0;
  private readonly requests = new Map<string, Request>();
  private readonly jobs = new Map<string, JobSub>();
  private readonly feeds = new Set<FeedSub>();
  private readonly listeners = new Set<(change: StateChange) => void>();
  private readonly firstOpen = new Settler<void>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed: Settler<void> | undefined;

  private constructor(options: SkillFleetClientOptions) {
    this.options = {
      url: options.url,
      token: options.token,
      reconnect: options.reconnect ?? true,
      maxReconnectAttempts: options.maxReconnectAttempts ?? Infinity,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 75_000,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      socketOptions: options.socketOptions ?? {},
    };
  }

  /** Connects and checks the token; rejects (UNAUTHORIZED, CONNECTION_FAILED) if that fails. */
  static async connect(options: SkillFleetClientOptions): Promise<SkillFleetClient> {
    const client = new SkillFleetClient(options);
    client.openSocket();
    await client.firstOpen.promise;
    return client;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Reconnect attempts since the connection was last open. */
  get attempt(): number {
    return this.attempts;
  }

  /** Listens to connection state changes; returns the function that stops listening. */
  on(event: 'state', listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sends a request and resolves with the reply's payload, or rejects with a SkillFleetError
   * carrying the server's code and details. Calls made while reconnecting wait for the connection.
   */
  call<M extends MethodName>(
    type: M,
    payload?: Methods[M]['payload'],
  ): Promise<Methods[M]['reply']>;
  call(type: string, payload?: object): Promise<unknown>;
  call(type: string, payload: object = {}): Promise<unknown> {
    return this.request(type, payload, false);
  }

  subscribeJob(
    jobId: string,
    handler: JobEventHandler,
    options: JobSubscribeOptions = {},
  ): JobSubscription {
    if (this.jobs.has(jobId)) throw new Error(`Already subscribed to job ${jobId}`);
    const sub = new JobSub(jobId, handler, options, (dropped) => this.dropJob(dropped));
    this.jobs.set(jobId, sub);
    if (this.currentState === 'open') this.subscribeJobNow(sub);
    return sub;
  }

  subscribeFeed(
    topics: FeedTopic[],
    handler: FeedEventHandler,
    options: FeedSubscribeOptions = {},
  ): FeedSubscription {
    const sub = new FeedSub([...topics], handler, options, (dropped) => this.dropFeed(dropped));
    this.feeds.add(sub);
    if (this.currentState === 'open') this.subscribeFeedNow(sub);
    return sub;
  }

  /** Closes the connection for good; pending calls reject with CLOSED. */
  close(): Promise<void> {
    if (this.closed) return this.closed.promise;
    this.closed = new Settler<void>();
    this.shutDown(undefined);
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) this.closed.resolve();
    else {
      socket.once('close', () => this.closed?.resolve());
      socket.close(1000, 'client closed');
    }
    return this.closed.promise;
  }

  private async dropJob(sub: JobSub): Promise<void> {
    if (!sub.active) return;
    sub.active = false;
    this.jobs.delete(sub.jobId);
    if (this.currentState !== 'open') return;
    await this.request('jobs.unsubscribe', { jobId: sub.jobId }, false).catch(() => undefined);
  }

  private dropFeed(sub: FeedSub): void {
    sub.active = false;
    this.feeds.delete(sub);
  }

  private openSocket(): void {
    const { socketOptions, token, url } = this.options;
    const socket = new WebSocket(url, {
      ...socketOptions,
      headers: { ...socketOptions.headers, authorization: `Bearer ${token}` },
    });
    this.socket = socket;
    socket.on('open', () => {
      this.touch();
      // The server closes a bad token's socket without a word; a ping reply proves the token.
      this.request('ping', {}, true).then(
        () => this.onAuthenticated(socket),
        () => socket.terminate(),
      );
    });
    socket.on('message', (data) => {
      this.touch();
      this.onFrame(data.toString());
    });
    socket.on('ping', () => this.touch());
    socket.on('error', () => undefined); // 'close' follows and decides what to do
    socket.on('close', (code) => this.onClose(socket, code));
  }

  private onAuthenticated(socket: WebSocket): void {
    if (socket !== this.socket || this.closed) return;
    this.everOpen = true;
    this.attempts = 0;
    this.setState({ state: 'open', attempt: 0 });
    this.firstOpen.resolve();
    for (const sub of this.jobs.values()) this.subscribeJobNow(sub);
    for (const sub of this.feeds) this.subscribeFeedNow(sub);
    for (const [id, request] of this.requests) if (!request.sent) this.transmit(id, request);
  }

  private onClose(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    clearTimeout(this.idleTimer);
    for (const [id, request] of this.requests) {
      if (request.sent)
        this.settle(
          id,
          new SkillFleetError('CONNECTION_LOST', 'The connection dropped before the reply'),
        );
    }
    if (this.closed) {
      this.closed.resolve();
      return;
    }
    if (code === CLOSE_CODES.UNAUTHORIZED) {
      this.shutDown(new SkillFleetError('UNAUTHORIZED', 'The server refused the token'), code);
      return;
    }
    if (!this.everOpen) {
      this.shutDown(
        new SkillFleetError(
          'CONNECTION_FAILED',
          `Could not connect to ${this.options.url} (close code ${code})`,
        ),
        code,
      );
      return;
    }
    if (!this.options.reconnect || this.attempts >= this.options.maxReconnectAttempts) {
      this.shutDown(new SkillFleetError('CLOSED', `The connection closed (code ${code})`), code);
      return;
    }
    this.attempts++;
    this.setState({ state: 'reconnecting', attempt: this.attempts, closeCode: code });
    this.reconnectTimer = setTimeout(
      () => this.openSocket(),
      backoffDelay(this.attempts, this.options.backoff),
    );
  }

  /** Ends the client: rejects every call and the first connect, and reports `closed`. */
  private shutDown(error: SkillFleetError | undefined, closeCode?: number): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.idleTimer);
    const reason = error ?? new SkillFleetError('CLOSED', 'The client was closed');
    for (const id of [...this.requests.keys()]) this.settle(id, reason);
    this.firstOpen.reject(reason);
    for (const sub of this.jobs.values()) sub.first.reject(reason);
    for (const sub of this.feeds) sub.first.reject(reason);
    if (this.currentState !== 'closed') {
      this.setState({ state: 'closed', attempt: this.attempts, closeCode, error });
    }
  }

  private subscribeJobNow(sub: JobSub): void {
    const payload =
      sub.cursor === undefined ? { jobId: sub.jobId } : { jobId: sub.jobId, afterSeq: sub.cursor };
    this.request('jobs.subscribe', payload, false).then(
      (reply) => {
        if (!sub.active) return;
        const subscribed = reply as JobSubscribed;
        sub.cursor ??= subscribed.lastSeq;
        sub.options.onSubscribed?.(subscribed);
        sub.first.resolve(subscribed);
      },
      (error: SkillFleetError) =>
        this.subscriptionFailed(sub, error, () => this.subscribeJobNow(sub)),
    );
  }

  private subscribeFeedNow(sub: FeedSub): void {
    this.request('feed.subscribe', { topics: sub.topics }, false).then(
      () => {
        if (!sub.active) return;
        sub.options.onSubscribed?.();
        sub.first.resolve();
      },
      (error: SkillFleetError) =>
        this.subscriptionFailed(sub, error, () => this.subscribeFeedNow(sub)),
    );
  }

  /** A transient failure is retried (at once after a reconnect); any other drops the subscription. */
  private subscriptionFailed(
    sub: JobSub | FeedSub,
    error: SkillFleetError,
    retry: () => void,
  ): void {
    if (!sub.active) return;
    if (TRANSIENT.has(error.code)) {
      if (error.code === 'CONNECTION_LOST' || error.code === 'CLOSED') return;
      setTimeout(
        () => {
          if (sub.active && this.currentState === 'open') retry();
        },
        backoffDelay(1, this.options.backoff),
      );
      return;
    }
    if (sub instanceof JobSub) this.jobs.delete(sub.jobId);
    else this.feeds.delete(sub);
    sub.active = false;
    sub.first.reject(error);
    sub.options.onError?.(error);
  }

  private onFrame(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'reply') {
      if (frame.replyTo === null) return;
      if (frame.ok) this.settle(frame.replyTo, undefined, frame.payload);
      else this.settle(frame.replyTo, SkillFleetError.fromBody(frame.error));
      return;
    }
    if (frame.type !== 'event') return;
    if (frame.topic.startsWith('job:')) {
      const sub = this.jobs.get(frame.topic.slice('job:'.length));
      if (sub?.active) this.deliverJobEvent(sub, frame);
      return;
    }
    for (const sub of this.feeds) {
      // A feed topic carries only the events of FeedEvents.
      if (sub.topics.includes(frame.topic as FeedTopic)) sub.handler(frame as FeedEvent);
    }
  }

  /** Delivers each seq once and in order; a gap (which the server should never leave) resyncs. */
  private deliverJobEvent(sub: JobSub, frame: EventFrame): void {
    // The server sends a job's topic only the events of JobStreamEvents.
    const event = frame as JobEvent;
    if (frame.seq === undefined) {
      sub.handler(event);
      return;
    }
    if (sub.cursor !== undefined) {
      if (frame.seq <= sub.cursor) return;
      if (frame.seq !== sub.cursor + 1) {
        this.subscribeJobNow(sub);
        return;
      }
    }
    sub.cursor = frame.seq;
    sub.handler(event);
  }

  private request(type: string, payload: object, immediate: boolean): Promise<unknown> {
    if (this.currentState === 'closed') {
      return Promise.reject(new SkillFleetError('CLOSED', 'The client is closed'));
    }
    const id = `c${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const request: Request = {
        frame: JSON.stringify({ v: 1, id, type, payload }),
        sent: false,
        resolve,
        reject,
        timer: setTimeout(
          () => this.settle(id, new SkillFleetError('TIMEOUT', `No reply to ${type} in time`)),
          this.options.requestTimeoutMs,
        ),
      };
      this.requests.set(id, request);
      if (immediate || this.currentState === 'open') this.transmit(id, request);
    });
  }

  private transmit(id: string, request: Request): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    request.sent = true;
    socket.send(request.frame, (error) => {
      if (error) this.settle(id, new SkillFleetError('CONNECTION_LOST', error.message));
    });
  }

  private settle(id: string, error: SkillFleetError | undefined, payload?: unknown): void {
    const request = this.requests.get(id);
    if (!request) return;
    this.requests.delete(id);
    clearTimeout(request.timer);
    if (error) request.reject(error);
    else request.resolve(payload);
  }

  /** Any sign of life from the server; silence past idleTimeoutMs means a dead connection. */
  private touch(): void {
    if (this.options.idleTimeoutMs <= 0) return;
    clearTimeout(this.idleTimer);
    const socket = this.socket;
    this.idleTimer = setTimeout(() => socket?.terminate(), this.options.idleTimeoutMs);
  }

  private setState(change: StateChange): void {
    this.currentState = change.state;
    for (const listener of this.listeners) listener(change);
  }
}
