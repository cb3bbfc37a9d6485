import * as fs from 'node:fs';
import * as path from 'node:path';
import { TokensService } from '#src/modules/auth/tokens.service';
import { SkillsService } from '#src/modules/skills/skills.service';
import { e2eMode } from '../support/e2e-env';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { EventFrame, WsTestClient } from '../support/ws-test-client';

const FIXTURES = path.resolve(__dirname, '../fixtures/skills');

const draftMd = `---\nname: retry-logic\ndescription: Retries calls. Use when a call fails.\n---\n# Retry logic\n\nBody.\n`;

interface ChangedSkill {
  skill: { id: string; status: string };
  removed?: boolean;
  /** who made the change */
  by: string;
}

const changed = (client: WsTestClient): ChangedSkill[] =>
  client.events
    .filter((e: EventFrame) => e.topic === 'skills' && e.event === 'skill.changed')
    .map((e) => e.payload as unknown as ChangedSkill);

describe(`skill.changed on the skills feed (${e2eMode()} mode)`, () => {
  let server: TestServer;
  const clients: WsTestClient[] = [];

  const connect = async (token: string): Promise<WsTestClient> => {
    const client = await WsTestClient.connect(server.wsUrl, token);
    clients.push(client);
    const reply = await client.request('feed.subscribe', { topics: ['skills'] });
    expect(reply.ok).toBe(true);
    return client;
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await server?.stop();
  });

  it('sends every imported skill, draft only to its owner and admins, and removals', async () => {
    const tokens = server.app.get(TokensService);
    const admin = await connect(server.adminToken);
    const owner = await connect((await tokens.create('owner-1', 'user')).token);
    const stranger = await connect((await tokens.create('stranger-1', 'user')).token);

    const reply = await admin.request('skills.import', { path: FIXTURES });
    expect(reply).toMatchObject({ ok: true, payload: { imported: 21, rejected: [] } });
    for (const client of [admin, owner, stranger]) {
      await waitFor(() => changed(client).length === 21);
      expect(changed(client).every((c) => c.removed === undefined)).toBe(true);
    }
    const ids = changed(admin)
      .map((c) => c.skill.id)
      .sort();
    expect(ids).toContain('web/react-hooks');
    expect(new Set(ids).size).toBe(21);
    expect(changed(admin).every((c) => c.by === 'admin')).toBe(true);
    const frames = admin.events.filter((e) => e.topic === 'skills');
    expect(frames.map((e) => e.seq)).toEqual(frames.map((_, i) => i + 1));

    const skills = server.app.get(SkillsService);
    await skills.writeDraft('job-feed-1', 'retry-logic', draftMd, { ownerId: 'owner-1' });
    for (const client of [admin, owner]) {
      await waitFor(() => changed(client).length === 22);
      expect(changed(client)[21].skill).toMatchObject({
        id: '_drafts/job-feed-1/retry-logic',
        status: 'draft',
      });
    }

    fs.rmSync(path.join(server.config.skillsRoot, 'web', 'react-hooks'), { recursive: true });
    await skills.reindex();
    for (const client of [admin, owner, stranger]) {
      await waitFor(() => changed(client).some((c) => c.removed === true));
      expect(changed(client).filter((c) => c.removed)).toEqual([
        { skill: expect.objectContaining({ id: 'web/react-hooks' }), removed: true, by: 'system' },
      ]);
    }
    // the draft never reached the stranger
    expect(changed(stranger).map((c) => c.skill.id)).not.toContain(
      '_drafts/job-feed-1/retry-logic',
    );
    expect(changed(stranger)).toHaveLength(22);
  });

  if (e2eMode() === 'services') {
    it('reaches the clients of another gateway process', async () => {
      const other = await startTestServer({
        worker: false,
        shareWith: server,
        env: { SKILLS_ROOT: server.config.skillsRoot },
      });
      try {
        const remote = await WsTestClient.connect(other.wsUrl, server.adminToken);
        clients.push(remote);
        expect((await remote.request('feed.subscribe', { topics: ['skills'] })).ok).toBe(true);
        await server.app
          .get(SkillsService)
          .writeDraft('job-feed-2', 'retry-logic', draftMd, { ownerId: 'owner-1' });
        await waitFor(() =>
          changed(remote).some((c) => c.skill.id === '_drafts/job-feed-2/retry-logic'),
        );
      } finally {
        await other.stop();
      }
    });
  }
});
