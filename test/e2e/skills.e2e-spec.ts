import * as fs from 'node:fs';
import * as path from 'node:path';
import { TokensService } from '#src/modules/auth/tokens.service';
import { SkillsService } from '#src/modules/skills/skills.service';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { startTestServer, TestServer } from '../support/test-server';
import { WsTestClient } from '../support/ws-test-client';

const FIXTURES = path.resolve(__dirname, '../fixtures/skills');

const draftMd = (description: string) =>
  `---\nname: retry-logic\ndescription: ${description}\n---\n# Retry logic\n\n## When to Use\n\nWhen a call fails.\n`;

/** `<category>/<name>` of every folder holding a SKILL.md, as on disk. */
function skillIdsOnDisk(root: string): string[] {
  return fs
    .readdirSync(root)
    .filter((category) => !category.startsWith('_') && !category.startsWith('.'))
    .flatMap((category) =>
      fs
        .readdirSync(path.join(root, category))
        .filter((name) => fs.existsSync(path.join(root, category, name, 'SKILL.md')))
        .map((name) => `${category}/${name}`),
    )
    .sort();
}

describe(`skills (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let admin: WsTestClient;
  let rest: ReturnType<typeof restClient>;
  let userToken: string;

  beforeAll(async () => {
    server = await startTestServer();
    admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    rest = restClient(server.httpUrl, server.adminToken);
    userToken = (await server.app.get(TokensService).create('user-1', 'user')).token;
  });
  afterAll(async () => {
    admin?.close();
    await server?.stop();
  });

  it('imports the 21 fixture skills over WebSocket (admin only)', async () => {
    const user = await WsTestClient.connect(server.wsUrl, userToken);
    const refused = await user.request('skills.import', { path: FIXTURES });
    expect(refused.error).toMatchObject({ code: 'FORBIDDEN' });
    user.close();

    const reply = await admin.request('skills.import', { path: FIXTURES });
    expect(reply).toMatchObject({ ok: true, payload: { imported: 21, rejected: [] } });
    expect(skillIdsOnDisk(server.config.skillsRoot)).toHaveLength(21);
  });

  it('lists exactly what is on disk, over WebSocket and REST', async () => {
    const reply = await admin.request('skills.list');
    const skills = reply.payload?.skills as { id: string; path: string; status: string }[];
    expect(skills.map((s) => s.id)).toEqual(skillIdsOnDisk(server.config.skillsRoot));
    expect(skills[0]).toEqual({
      id: 'data/csv-cleaning',
      name: 'csv-cleaning',
      description: expect.stringContaining('Cleans messy CSV files'),
      category: 'data',
      path: path.join(server.config.skillsRoot, 'data', 'csv-cleaning'),
      status: 'active',
      version: 1,
      declaredVersion: '1.0.0',
      ownerId: 'admin',
      tags: [],
      updatedAt: expect.any(String),
      validation: { valid: true, errors: [], warnings: expect.any(Array) },
    });

    const web = await rest.get('/skills?category=web&status=active');
    expect(web.status).toBe(200);
    expect(web.body.skills.map((s: { id: string }) => s.id)).toEqual([
      'web/react-hooks',
      'web/rest-api-design',
      'web/web-accessibility',
    ]);
  });

  it('finds a word that occurs only in a body', async () => {
    const body = fs.readFileSync(path.join(FIXTURES, 'python/async-await/SKILL.md'), 'utf8');
    expect(body.split('---')[1]).not.toMatch(/semaphore/i);
    const found = await rest.get('/skills?query=semaphore');
    expect(found.body.skills.map((s: { id: string }) => s.id)).toEqual(['python/async-await']);
    const ws = await admin.request('skills.list', { query: 'Semaphore' });
    expect((ws.payload?.skills as { id: string }[]).map((s) => s.id)).toEqual([
      'python/async-await',
    ]);
  });

  it('gets a skill by an id with a slash over REST and WebSocket', async () => {
    const content = fs.readFileSync(
      path.join(FIXTURES, 'documents/pdf-processing/SKILL.md'),
      'utf8',
    );
    const got = await rest.get('/skills/documents/pdf-processing');
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      skill: { id: 'documents/pdf-processing', declaredVersion: '2.0' },
      content,
    });
    const ws = await admin.request('skills.get', { skillId: 'documents/pdf-processing' });
    expect(ws.payload).toEqual(got.body);

    expect((await rest.get('/skills/documents/nope')).body).toMatchObject({
      statusCode: 404,
      code: 'NOT_FOUND',
    });
    for (const id of [
      'documents%5Cpdf-processing',
      '..%2F..%2Fetc/passwd',
      'documents/pdf-processing/SKILL.md',
    ]) {
      expect((await rest.get(`/skills/${id}`)).body).toMatchObject({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    const attack = await admin.request('skills.get', { skillId: '../../etc/passwd' });
    expect(attack.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'skillId', message: "must not contain '..'" }],
    });
  });

  it('serves <available_skills> that agrees with the listing', async () => {
    const viaRest = await rest.get('/taxonomy/xml');
    const ws = await admin.request('skills.xml');
    expect(viaRest.status).toBe(200);
    expect(ws.payload).toEqual(viaRest.body);
    const xml = viaRest.body.xml as string;
    expect(xml.startsWith('<available_skills>\n<skill>\n<name>async-await</name>')).toBe(true);
    const names = [...xml.matchAll(/<name>(.*)<\/name>/g)].map((m) => m[1]);
    expect(names).toEqual(
      skillIdsOnDisk(server.config.skillsRoot)
        .map((id) => id.split('/')[1])
        .sort(),
    );
    expect(xml).toContain(
      `<location>${path.join(server.config.skillsRoot, 'python/async-await/SKILL.md')}</location>`,
    );
  });

  it('validates content over WebSocket with the exact codes', async () => {
    const content = `---\nname: Bad--Skill-\ndescription: ${'x'.repeat(1025)}\ncolour: red\n---\nbody\n`;
    const reply = await admin.request('skills.validate', { content });
    expect(reply.ok).toBe(true);
    const report = reply.payload?.report as {
      valid: boolean;
      errors: { code: string }[];
      warnings: { code: string }[];
    };
    expect(report.valid).toBe(false);
    expect(report.errors.map((e) => e.code)).toEqual([
      'NAME_NOT_LOWERCASE',
      'NAME_LEADING_TRAILING_HYPHEN',
      'NAME_CONSECUTIVE_HYPHENS',
      'DESCRIPTION_TOO_LONG',
    ]);
    expect(report.warnings.map((w) => w.code)).toContain('UNEXPECTED_FIELD');

    const byId = await admin.request('skills.validate', { skillId: 'web/react-hooks' });
    expect(byId.payload?.report).toMatchObject({ valid: true, errors: [] });
  });

  it('answers bad payloads and bodies with VALIDATION_FAILED naming the fields', async () => {
    const neither = await admin.request('skills.validate', {});
    expect(neither.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((neither.error?.details as { field: string }[]).map((d) => d.field)).toEqual([
      'payload.skillId',
      'payload.content',
    ]);
    const both = await admin.request('skills.validate', {
      skillId: 'web/react-hooks',
      content: 'x',
    });
    expect(both.error?.details).toEqual([
      { field: 'payload.content', message: 'cannot be given together with skillId' },
    ]);
    const extra = await admin.request('skills.xml', { root: '/etc' });
    expect(extra.error?.details).toEqual([{ field: 'payload.root', message: 'should not exist' }]);

    const body = await rest.post('/skills/validate', { content: 42 });
    expect(body.status).toBe(400);
    expect(body.body).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('content'),
      details: [{ field: 'content', message: 'must be a string (give skillId or content)' }],
    });
    const query = await rest.get('/skills?status=retired');
    expect(query.body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      details: [{ field: 'status', message: expect.stringContaining('active, draft, deprecated') }],
    });
  });

  it('promotes a draft over REST: into place, CONFLICT, then overwrite', async () => {
    const skills = server.app.get(SkillsService);
    await skills.writeDraft('job-a', 'retry-logic', draftMd('First. Use when calls fail.'), {
      category: 'python',
      ownerId: 'user-1',
    });
    await skills.writeDraft('job-b', 'retry-logic', draftMd('Second. Use when calls fail.'), {
      category: 'python',
      ownerId: 'someone-else',
    });
    const user = restClient(server.httpUrl, userToken);

    const first = await user.post('/drafts/job-a/promote', {});
    expect(first.status).toBe(200);
    expect(first.body.skill).toMatchObject({ id: 'python/retry-logic', status: 'active' });
    expect((await user.post('/drafts/job-b/promote', {})).body).toMatchObject({
      code: 'NOT_FOUND',
    });

    const conflict = await rest.post('/drafts/job-b/promote', {});
    expect(conflict.body).toMatchObject({ statusCode: 409, code: 'CONFLICT' });
    expect((await rest.get('/skills/python/retry-logic')).body.skill.description).toBe(
      'First. Use when calls fail.',
    );

    const overwritten = await admin.request('skills.promote', { jobId: 'job-b', overwrite: true });
    expect(overwritten.payload?.skill).toMatchObject({
      description: 'Second. Use when calls fail.',
    });
    expect((await rest.get('/skills/python/retry-logic')).body.content).toBe(
      draftMd('Second. Use when calls fail.'),
    );

    const readOnly = (await server.app.get(TokensService).create('reader', 'user', true)).token;
    const forbidden = await restClient(server.httpUrl, readOnly).post('/drafts/job-a/promote', {
      overwrite: true,
    });
    expect(forbidden.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
  });

  it('reindexes from disk (admin only)', async () => {
    const user = await WsTestClient.connect(server.wsUrl, userToken);
    expect((await user.request('skills.reindex')).error).toMatchObject({ code: 'FORBIDDEN' });
    user.close();

    fs.rmSync(path.join(server.config.skillsRoot, 'web'), { recursive: true });
    const reply = await admin.request('skills.reindex');
    expect(reply.payload).toEqual({ indexed: 21 - 3 + 1 + 2 });
    const listed = await rest.get('/skills?status=active');
    expect(listed.body.skills.map((s: { id: string }) => s.id)).toEqual(
      skillIdsOnDisk(server.config.skillsRoot),
    );
  });
});
