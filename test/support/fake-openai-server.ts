import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible chat-completions server for tests, on 127.0.0.1 and a free port.
 * Replies come from a script (first in, first out), then from a default handler; every request is
 * recorded. Deterministic: nothing is random, and replies go out in the order requests arrive.
 *
 *   const fake = await FakeOpenAi.start();
 *   fake.script(errorReply(429, 'slow down', { 'retry-after': '0' }), completion('hello'));
 *   new OpenAiProvider({ baseUrl: fake.url }); // …
 *   expect(fake.chatRequests()).toHaveLength(2);
 *   await fake.stop();
 */
export interface FakeReply {
  /** default 200 */
  status?: number;
  /** JSON-encoded unless a string (sent as is, `text/plain` unless `headers` say otherwise) */
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw chunks written in order as `text/event-stream` (see `sseChunks`); replaces `body`. */
  stream?: string[];
  /** wait before answering at all */
  delayMs?: number;
  /** wait between stream chunks */
  chunkDelayMs?: number;
  /** after the stream chunks, leave the response open (until the client goes or `stop()`) */
  holdOpen?: boolean;
  /** close the connection without answering */
  hangUp?: boolean;
  /** after the stream chunks, destroy the connection (a stream broken off mid-way) */
  breakOff?: boolean;
}

export interface RecordedRequest {
  /** 0-based, in arrival order, over all requests */
  index: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** the JSON body, or undefined when it was not JSON */
  body: unknown;
  raw: string;
  /** the `x-skill-fleet-step` header that OpenAiProvider sends, decoded */
  step?: string;
}

export type ReplyHandler = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export class FakeOpenAi {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: (FakeReply | ReplyHandler)[] = [];
  private fallback: ReplyHandler;
  private readonly waits = new Set<() => void>();
  private stopped = false;

  private constructor(
    private readonly server: http.Server,
    /** e.g. `http://127.0.0.1:41234/v1` */
    readonly url: string,
    handler: ReplyHandler | undefined,
  ) {
    this.fallback = handler ?? noScriptedReply;
  }

  /**
   * `handler` answers model calls once the script is used up (default: a 400 saying so).
   * `basePath` is the API root's path (default `/v1`; the Gemini fake uses `/v1beta`).
   */
  static async start(
    options: { handler?: ReplyHandler; basePath?: string } = {},
  ): Promise<FakeOpenAi> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeOpenAi(
      server,
      `http://127.0.0.1:${port}${options.basePath ?? '/v1'}`,
      options.handler,
    );
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      fake.handle(req, res).catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        const message = error instanceof Error ? error.message : String(error);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `FakeOpenAi handler failed: ${message}` } }));
      });
    });
    return fake;
  }

  /** Queues replies (or per-request handlers) for the next chat requests, in order. */
  script(...replies: (FakeReply | ReplyHandler)[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Same as `script`. */
  enqueue(...replies: (FakeReply | ReplyHandler)[]): this {
    return this.script(...replies);
  }

  /** Replaces the default handler, used when nothing is scripted. */
  onRequest(handler: ReplyHandler): this {
    this.fallback = handler;
    return this;
  }

  /** The default handler now in force (to wrap it in `onRequest`). */
  get handler(): ReplyHandler {
    return this.fallback;
  }

  /** Scripted replies not used yet. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * The recorded model calls (POSTs to `/chat/completions`, Anthropic's `/messages`, Gemini's
   * `:generateContent` / `:streamGenerateContent`), optionally of one step only.
   */
  chatRequests(step?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === 'POST' && isModelCall(r.path) && (step === undefined || r.step === step),
    );
  }

  /** Drops the recorded requests and the script. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
  }

  /** Closes every connection (open streams included) and the server. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const wake of this.waits) wake();
    this.waits.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    req.socket.setNoDelay(true);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const stepHeader = req.headers['x-skill-fleet-step'];
    const recorded: RecordedRequest = {
      index: this.requests.length,
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: parseJson(raw),
      raw,
      step: typeof stepHeader === 'string' ? decodeURIComponent(stepHeader) : undefined,
    };
    this.requests.push(recorded);

    let reply: FakeReply;
    if (recorded.method === 'POST' && isModelCall(path)) {
      const next = this.queue.shift() ?? this.fallback;
      reply = typeof next === 'function' ? await next(recorded) : next;
    } else if (recorded.method === 'GET' && path.endsWith('/models')) {
      reply = { body: { object: 'list', data: [{ id: 'fake-model', object: 'model' }] } };
    } else {
      reply = errorReply(404, `FakeOpenAi: no route for ${recorded.method} ${path}`);
    }
    await this.send(req, res, reply);
  }

  private async send(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    reply: FakeReply,
  ): Promise<void> {
    if (reply.delayMs) await this.wait(reply.delayMs);
    if (this.stopped || res.destroyed) return;
    if (reply.hangUp) {
      req.socket.destroy();
      return;
    }
    const status = reply.status ?? 200;
    if (reply.stream) {
      res.writeHead(status, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        ...reply.headers,
      });
      res.flushHeaders();
      for (const chunk of reply.stream) {
        if (this.stopped || res.destroyed) return;
        res.write(chunk);
        if (reply.chunkDelayMs) await this.wait(reply.chunkDelayMs);
      }
      if (reply.breakOff) {
        // let the chunks reach the socket first, then cut the connection without an end
        await new Promise<void>((resolve) => res.write('', () => resolve()));
        res.destroy();
        return;
      }
      if (!reply.holdOpen && !res.destroyed) res.end();
      return;
    }
    const isText = typeof reply.body === 'string';
    const body =
      reply.body === undefined ? '' : isText ? String(reply.body) : JSON.stringify(reply.body);
    res.writeHead(status, {
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(body),
      ...reply.headers,
    });
    res.end(body);
  }

  /** A delay that `stop()` cuts short, so no timer outlives the server. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waits.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waits.add(wake);
    });
  }
}

/** A model call of any of the three wire formats the fakes speak. */
function isModelCall(path: string): boolean {
  return (
    path.endsWith('/chat/completions') ||
    path.endsWith('/messages') ||
    /:(stream)?[gG]enerateContent$/.test(path)
  );
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function noScriptedReply(request: RecordedRequest): FakeReply {
  return errorReply(
    400,
    `FakeOpenAi: no reply scripted for request #${request.index} (${request.method} ${request.path}${request.step ? `, step ${request.step}` : ''})`,
  );
}

/** A 200 chat completion whose message is `content`. */
export function completion(content: string, usage?: Partial<FakeUsage>): FakeReply {
  return {
    body: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 0,
      model: 'fake-model',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content },
          finish_reason: 'stop',
        },
      ],
      ...(usage && { usage: fullUsage(usage) }),
    },
  };
}

/** A 200 completion whose message is `value` as JSON text. */
export function jsonCompletion(value: unknown, usage?: Partial<FakeUsage>): FakeReply {
  return completion(JSON.stringify(value), usage);
}

/** The error class a vendor names for a status: by the status itself, else 5xx or the rest. */
export interface ErrorKinds {
  [status: number]: string;
  server: string;
  other: string;
}

/** The error replies of a vendor: `body` builds its error body from the class, status and message. */
export function errorReplies(
  kinds: ErrorKinds,
  body: (kind: string, status: number, message: string) => unknown,
): (status: number, message: string, headers?: Record<string, string>) => FakeReply {
  return (status, message, headers) => {
    const kind = kinds[status] ?? (status >= 500 ? kinds.server : kinds.other);
    return { status, headers, body: body(kind, status, message) };
  };
}

/** An OpenAI-style error body (`{error: {message, type, code}}`) with this status. */
export const errorReply = errorReplies(
  { 429: 'rate_limit_error', server: 'server_error', other: 'invalid_request_error' },
  (type, _status, message) => ({ error: { message, type, code: null, param: null } }),
);

/**
 * SSE chunks of a streamed completion: one `data:` event per token, then (when `usage` is given)
 * a final chunk with empty `choices` and the usage, then `data: [DONE]` unless `done` is false.
 */
export function sseChunks(
  tokens: string[],
  options: { usage?: Partial<FakeUsage>; done?: boolean; finish?: boolean } = {},
): string[] {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'fake-model',
      choices,
      ...extra,
    })}\n\n`;
  const out = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
  ];
  for (const token of tokens) {
    out.push(chunk([{ index: 0, delta: { content: token }, finish_reason: null }]));
  }
  if (options.finish !== false) {
    out.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  }
  if (options.usage) out.push(chunk([], { usage: fullUsage(options.usage) }));
  if (options.done !== false) out.push('data: [DONE]\n\n');
  return out;
}

/** A streamed completion of `tokens` (see `sseChunks`). */
export function streamReply(
  tokens: string[],
  options: { usage?: Partial<FakeUsage>; chunkDelayMs?: number } = {},
): FakeReply {
  return {
    stream: sseChunks(tokens, { usage: options.usage }),
    chunkDelayMs: options.chunkDelayMs,
  };
}

function fullUsage(usage: Partial<FakeUsage>): FakeUsage {
  const prompt = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: usage.total_tokens ?? prompt + completionTokens,
  };
}
