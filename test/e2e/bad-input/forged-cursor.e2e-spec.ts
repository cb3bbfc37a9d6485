import { e2eMode } from '#test/support/e2e-env';
import { startTestServer, TestServer } from '#test/support/test-server';
import { WsTestClient } from '#test/support/ws-test-client';

const MARKER = 'FORGED-LOG-LINE';

/** Cursors a client could make up: each decodes, none is one the server issued. */
const FORGED = [
  { createdAt: '2026-01-01T00:00:00.000Z', id: `x\n2026-01-01 LOG [Auth] ${MARKER}` },
  { createdAt: `2026\n${MARKER}`, id: '00000000-0000-4000-8000-000000000000' },
  { createdAt: '+010000-01-01T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' },
  { createdAt: '0000-01-01T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' },
  { createdAt: '2026-02-31T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' },
  [MARKER],
].map((value) => Buffer.from(JSON.stringify(value)).toString('base64url'));

/** Everything written to stdout and stderr (the server's log, in this process) while `work` runs. */
async function logDuring(work: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const capture = (stream: NodeJS.WriteStream) => {
    const write = stream.write.bind(stream);
    const spy = jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: []) => {
      chunks.push(String(chunk));
      return write(chunk as string, ...rest);
    }) as typeof stream.write);
    return () => spy.mockRestore();
  };
  const restores = [capture(process.stdout), capture(process.stderr)];
  try {
    await work();
  } finally {
    for (const restore of restores) restore();
  }
  return chunks.join('');
}

describe.each(['pretty', 'json'] as const)(
  `a forged cursor (${e2eMode()} mode, %s log)`,
  (format) => {
    let server: TestServer;

    beforeAll(async () => {
      server = await startTestServer({
        worker: false,
        env: { LOG_FORMAT: format, LOG_LEVEL: 'debug' },
      });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('is VALIDATION_FAILED over WebSocket and REST, and no log line starts with its text', async () => {
      const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
      const log = await logDuring(async () => {
        for (const cursor of FORGED) {
          const reply = await client.request('jobs.list', { cursor });
          expect(reply.error).toMatchObject({
            code: 'VALIDATION_FAILED',
            details: [{ field: 'payload.cursor', message: 'is not a cursor this server issued' }],
          });
          const response = await fetch(
            `${server.httpUrl}/api/v1/jobs?cursor=${encodeURIComponent(cursor)}`,
            { headers: { authorization: `Bearer ${server.adminToken}` } },
          );
          expect(response.status).toBe(400);
          expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
          for (const payload of [{ cursor }, { query: 'forged', cursor }]) {
            expect((await client.request('skills.list', payload)).error).toMatchObject({
              code: 'VALIDATION_FAILED',
              details: [{ field: 'payload.cursor', message: 'is not a cursor this server issued' }],
            });
          }
          const skills = await fetch(
            `${server.httpUrl}/api/v1/skills?query=forged&cursor=${encodeURIComponent(cursor)}`,
            { headers: { authorization: `Bearer ${server.adminToken}` } },
          );
          expect(skills.status).toBe(400);
        }
      });
      const forgedLines = log
        .split('\n')
        .filter((line) => line.startsWith('2026-01-01 LOG') || line.startsWith(MARKER));
      expect(forgedLines).toEqual([]);
      expect((await client.request('jobs.list', {})).ok).toBe(true);
      client.close();
    });
  },
);
