import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SkillsService } from '#src/modules/skills/skills.service';
import { e2eMode } from '../support/e2e-env';
import { startTestServer, TestServer } from '../support/test-server';
import { WsTestClient } from '../support/ws-test-client';

const FIXTURES = path.resolve(__dirname, '../fixtures/skills');

describe(`a process with another SKILLS_ROOT (${e2eMode()} mode)`, () => {
  let server: TestServer;
  const otherRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-other-root-'));

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(otherRoot, { recursive: true, force: true });
  });

  const skillCount = async (): Promise<number> => {
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    try {
      const reply = await client.request('skills.list');
      return (reply.payload?.skills as unknown[]).length;
    } finally {
      client.close();
    }
  };

  it('keeps the index at startup, and moves it only on an explicit reindex', async () => {
    const admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    expect((await admin.request('skills.import', { path: FIXTURES })).payload).toMatchObject({
      imported: 21,
    });
    admin.close();

    server.env.SKILLS_ROOT = otherRoot;
    server = await server.restart();
    await server.app.get(SkillsService).startupCatchUp();
    expect(await skillCount()).toBe(21);

    const again = await WsTestClient.connect(server.wsUrl, server.adminToken);
    expect((await again.request('skills.reindex')).payload).toEqual({ indexed: 0 });
    again.close();
    expect(await skillCount()).toBe(0);
  });
});
