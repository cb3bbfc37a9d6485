import { WebSocket } from 'ws';
import { FakeSocket } from '#test/support/fake-socket';
import { DEFAULT_GATEWAY_LIMITS } from './gateway-settings';
import { WsConnection } from './ws-connection';

const principal = { tokenId: 't', userId: 'u', role: 'user' as const, readOnly: false };

function connection(maxBufferedBytes: number) {
  const socket = new FakeSocket();
  const limits = { ...DEFAULT_GATEWAY_LIMITS, maxBufferedBytes };
  return {
    socket,
    connection: new WsConnection(socket as unknown as WebSocket, principal, limits),
  };
}

describe('WsConnection', () => {
  it('closes with 4429 before the queued bytes would pass the limit', () => {
    const { socket, connection: c } = connection(100);
    socket.bufferedAmount = 60;
    expect(c.send('x'.repeat(40))).toBe(true);
    socket.bufferedAmount = 61;
    expect(c.send('x'.repeat(40))).toBe(false);
    expect(socket.closed).toEqual([4429, 'slow consumer']);
    expect(c.send('late')).toBe(false);
    expect(socket.sent).toHaveLength(1);
  });

  it('lets one frame larger than the limit through an idle socket', () => {
    const { socket, connection: c } = connection(10);
    expect(c.send('x'.repeat(50))).toBe(true);
    expect(socket.closed).toBeNull();
  });

  it('drops ephemeral frames once the socket is half full, without closing it', () => {
    const { socket, connection: c } = connection(100);
    c.sendDroppable('a');
    socket.bufferedAmount = 60;
    c.sendDroppable('b');
    expect(socket.sent).toEqual(['a']);
    expect(socket.closed).toBeNull();
  });

  it('counts feed seqs per topic', () => {
    const { connection: c } = connection(100);
    expect([c.nextFeedSeq('jobs'), c.nextFeedSeq('jobs'), c.nextFeedSeq('skills')]).toEqual([
      1, 2, 1,
    ]);
  });
});
