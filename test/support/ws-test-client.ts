import WebSocket from 'ws';

export interface Reply {
  v: 1;
  type: 'reply';
  replyTo: string | null;
  ok: boolean;
  payload?: Record<string, unknown>;
  error?: { code: string; message: string; details?: unknown; errorId?: string };
}

export interface EventFrame {
  v: 1;
  type: 'event';
  topic: string;
  event: string;
  seq?: number;
  payload: Record<string, unknown>;
}

/** A raw protocol client for tests: sends frames as given and records everything it receives. */
export class WsTestClient {
  readonly replies: Reply[] = [];
  readonly events: EventFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Reply | EventFrame;
      if (frame.type === 'reply') this.replies.push(frame);
      else this.events.push(frame);
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static connect(url: string, token?: string, viaQuery = false): Promise<WsTestClient> {
    const target = token && viaQuery ? `${url}?token=${encodeURIComponent(token)}` : url;
    const headers: Record<string, string> =
      token && !viaQuery ? { authorization: `Bearer ${token}` } : {};
    const socket = new WebSocket(target, { headers });
    const client = new WsTestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  /** Sends a raw frame and resolves with the reply whose replyTo matches `expectReplyTo`. */
  async sendRaw(frame: string | Buffer, expectReplyTo: string | null): Promise<Reply> {
    const before = this.replies.length;
    this.socket.send(frame);
    return this.waitForReply((reply, index) => index >= before && reply.replyTo === expectReplyTo);
  }

  async request(type: string, payload?: unknown): Promise<Reply> {
    const id = `t-${++this.nextId}`;
    this.socket.send(JSON.stringify({ v: 1, id, type, payload }));
    return this.waitForReply((reply) => reply.replyTo === id);
  }

  private waitForReply(match: (reply: Reply, index: number) => boolean): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + 10000;
      const poll = () => {
        const found = this.replies.find(match);
        if (found) return resolve(found);
        if (Date.now() > deadline) return reject(new Error('No reply within 10 s'));
        setTimeout(poll, 5);
      };
      poll();
    });
  }

  close(): void {
    this.socket.close();
  }
}
