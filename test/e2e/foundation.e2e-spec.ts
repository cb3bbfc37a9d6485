import * as fs from 'node:fs';
import { AppConfig } from '#src/config/app-config';
import { DataDirInUseError } from '#src/database/data-dir-lock';
import { startServer } from '#src/server';
import { e2eMode } from '../support/e2e-env';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';

describe(`foundation (${e2eMode()} mode)`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers /health/live and /health/ready with every dependency up', async () => {
    const live = await fetch(`${server.httpUrl}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${server.httpUrl}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { details: Record<string, { status: string }> };
    expect(body.details.database.status).toBe('up');
    expect(body.details.queue.status).toBe('up');
    expect(body.details.storage.status).toBe('up');
  });

  it('writes the admin token file with mode 0600 and reuses it on the next start', async () => {
    const mode = fs.statSync(server.config.adminTokenFile).mode & 0o777;
    expect(mode).toBe(0o600);
    expect(server.newAdminToken).toBe(server.adminToken);
  });

  it('serves the OpenAPI UI and document at /api/docs without a token', async () => {
    const page = await fetch(`${server.httpUrl}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');

    const document = (await (await fetch(`${server.httpUrl}/api/docs-json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { schemas: Record<string, { required?: string[]; properties: object }> };
    };
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/jobs',
        '/api/v1/jobs/{id}/events',
        '/api/v1/prompts/{id}/answer',
        '/api/v1/drafts/{jobId}/promote',
        '/health/ready',
      ]),
    );
    expect(document.paths['/api/v1/jobs'].post.security).toEqual([{ bearer: [] }]);
    expect(document.components.schemas.CreateJobDto.required).toEqual(['workflow', 'input']);
    expect(Object.keys(document.components.schemas.ConfirmAnswerDto.properties)).toEqual([
      'action',
      'feedback',
      'edits',
    ]);
  });

  it('answers an unknown REST route with the protocol error body', async () => {
    const response = await fetch(`${server.httpUrl}/api/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  describe('WebSocket at /ws', () => {
    it.each([
      ['no token', undefined],
      ['a wrong token', 'sf_not-a-real-token'],
    ])('closes with 4401 for %s', async (_label, token) => {
      const client = await WsTestClient.connect(server.wsUrl, token);
      await expect(client.closed).resolves.toEqual({ code: 4401, reason: 'unauthorized' });
      expect(client.replies).toHaveLength(0);
    });

    it('accepts the token as a header or as ?token= and answers ping', async () => {
      for (const viaQuery of [false, true]) {
        const client = await WsTestClient.connect(server.wsUrl, server.adminToken, viaQuery);
        const reply = await client.request('ping');
        expect(reply).toMatchObject({ v: 1, type: 'reply', ok: true });
        expect(Date.parse(String(reply.payload?.time))).not.toBeNaN();
        client.close();
      }
    });
  });

  if (e2eMode() === 'embedded') {
    it('refuses a second process on the same DATA_DIR, saying why', async () => {
      const config = AppConfig.fromEnvironment({ ...server.env, DATABASE_URL: '', REDIS_URL: '' });
      await expect(startServer(config, { worker: false, logger: false })).rejects.toThrow(
        DataDirInUseError,
      );
    });
  }
});

if (e2eMode() === 'services') {
  describe('readiness follows its dependencies (services mode)', () => {
    const postgres = new TcpProxy('127.0.0.1', 5432);
    const redis = new TcpProxy('127.0.0.1', 6379);
    let server: TestServer;

    beforeAll(async () => {
      await postgres.up();
      await redis.up();
      server = await startTestServer({
        rewriteEnv: (env) => {
          const db = new URL(env.DATABASE_URL);
          db.port = String(postgres.port);
          env.DATABASE_URL = db.toString();
          const queue = new URL(env.REDIS_URL);
          queue.port = String(redis.port);
          env.REDIS_URL = queue.toString();
        },
      });
    });
    afterAll(async () => {
      await postgres.up();
      await redis.up();
      await server?.stop();
      await postgres.down();
      await redis.down();
    });

    const ready = async () => {
      const response = await fetch(`${server.httpUrl}/health/ready`);
      return { status: response.status, body: JSON.stringify(await response.json()) };
    };

    it.each([
      ['queue', redis],
      ['database', postgres],
    ])('answers 503 naming %s while it is down, and 200 once it is back', async (name, proxy) => {
      expect((await ready()).status).toBe(200);
      await proxy.down();
      const down = await waitFor(async () => {
        const result = await ready();
        return result.status === 503 ? result : false;
      });
      expect(JSON.parse(down.body).error).toHaveProperty(name);
      await proxy.up();
      await waitFor(async () => (await ready()).status === 200, { timeoutMs: 20000 });
    });
  });
}
