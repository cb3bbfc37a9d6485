import { WebSocket } from 'ws';

/** The part of a `ws` socket WsConnection uses, with a settable queue; records what was sent. */
export class FakeSocket {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  sent: unknown[] = [];
  closed: [number, string] | null = null;

  send(data: unknown, _options?: unknown, written?: () => void): void {
    this.sent.push(data);
    if (written) setImmediate(written);
  }

  close(code: number, reason: string): void {
    this.closed = [code, reason];
    this.readyState = WebSocket.CLOSING;
  }
}
