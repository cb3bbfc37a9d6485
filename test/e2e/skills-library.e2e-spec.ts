/**
 * The skill library: owners and rights, versions (history, rollback, delete), the drafts lifecycle,
 * both import layouts and the import's refusals of hazardous files.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { TokensService } from '#src/modules/auth/tokens.service';
import { SkillsService } from '#src/modules/skills/skills.service';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { createStepsJob, sideEffectDir, waitForStatus } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { EventFrame, WsTestClient } from '../support/ws-test-client';

const skillMd = (name: string, body: string, metadata = '') =>
  `---\nname: ${name}\ndescription: ${name} for the library tests. Use when testing.\n${metadata}---\n# ${name}\n\n## When to Use\n\n${body}\n`;

const FILE_LIMIT = 64 * 1024;

describe(`skill library (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let skills: SkillsService;
  let admin: WsTestClient;
  let alice: WsTestClient;
  let bob: WsTestClient;
  let work: string;

  beforeAll(async () => {
    server = await startTestServer({ env: { SKILL_FILE_MAX_BYTES: String(FILE_LIMIT) } });
    skills = server.app.get(SkillsService);
    const tokens = server.app.get(TokensService);
    admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    alice = await WsTestClient.connect(server.wsUrl, (await tokens.create('alice', 'user')).token);
    bob = await WsTestClient.connect(server.wsUrl, (await tokens.create('bob', 'user')).token);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-library-'));
  });
  afterAll(async () => {
    for (const client of [admin, alice, bob]) client?.close();
    await server?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const liveFile = (id: string) => path.join(server.config.skillsRoot, id, 'SKILL.md');
  const draftFor = async (jobId: string, ownerId: string, body: string, name = 'retry-logic') =>
    skills.writeDraft(jobId, name, skillMd(name, body), { category: 'python', ownerId });

  describe('owners, versions and rights', () => {
    const id = 'python/retry-logic';
    let v1: string;

    it("refuses B's overwrite, delete and rollback of A's skill and leaves it byte for byte", async () => {
      await draftFor('job-a1', 'alice', 'First body by Alice.');
      const promoted = await alice.request('skills.promote', { jobId: 'job-a1' });
      expect(promoted.payload).toMatchObject({ skill: { id, version: 1, ownerId: 'alice' } });
      v1 = fs.readFileSync(liveFile(id), 'utf8');

      await draftFor('job-b1', 'bob', 'Curl it into a shell, says Bob.');
      const attempts = [
        await bob.request('skills.promote', { jobId: 'job-b1', overwrite: true }),
        await bob.request('skills.delete', { skillId: id }),
        await bob.request('skills.rollback', { skillId: id, version: 1 }),
      ];
      for (const reply of attempts) expect(reply.error).toMatchObject({ code: 'FORBIDDEN' });
      expect(fs.readFileSync(liveFile(id), 'utf8')).toBe(v1);
      const history = await bob.request('skills.history', { skillId: id });
      expect((history.payload?.versions as unknown[]).length).toBe(1);
    });

    it("makes A's overwrite version 2, lists both with authors, and rolls back to 1 as version 3", async () => {
      await draftFor('job-a2', 'alice', 'Second body by Alice.');
      const overwrite = await alice.request('skills.promote', { jobId: 'job-a2', overwrite: true });
      expect(overwrite.payload).toMatchObject({ skill: { id, version: 2, ownerId: 'alice' } });
      const v2 = fs.readFileSync(liveFile(id), 'utf8');
      expect(v2).toContain('Second body by Alice.');

      const history = await alice.request('skills.history', { skillId: id });
      expect(history.payload).toEqual({
        versions: [
          expect.objectContaining({ version: 1, by: 'alice', action: 'promote', jobId: 'job-a1' }),
          expect.objectContaining({
            version: 2,
            by: 'alice',
            action: 'overwrite',
            jobId: 'job-a2',
          }),
        ],
        nextCursor: null,
      });

      const rolled = await alice.request('skills.rollback', { skillId: id, version: 1 });
      expect(rolled.payload).toMatchObject({ skill: { id, version: 3, ownerId: 'alice' } });
      expect(fs.readFileSync(liveFile(id), 'utf8')).toBe(v1);
      const after = await restClient(server.httpUrl, server.adminToken).get(
        `/skills/${id}/-/history`,
      );
      const versions = after.body.versions as { version: number; checksum: string }[];
      expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
      expect(versions[2]).toMatchObject({ by: 'alice', action: 'rollback', restoredFrom: 1 });
      expect(versions[2].checksum).toBe(versions[0].checksum);
    });

    it("lets an admin overwrite, roll back and delete anyone's skill; numbering goes on after a delete", async () => {
      const feed = await WsTestClient.connect(server.wsUrl, server.adminToken);
      await feed.request('feed.subscribe', { topics: ['skills'] });

      const overwrite = await admin.request('skills.promote', { jobId: 'job-b1', overwrite: true });
      expect(overwrite.payload).toMatchObject({ skill: { id, version: 4, ownerId: 'alice' } });
      expect(fs.readFileSync(liveFile(id), 'utf8')).toContain('Curl it into a shell');
      const rolled = await admin.request('skills.rollback', { skillId: id, version: 2 });
      expect(rolled.payload).toMatchObject({ skill: { version: 5 } });
      expect(fs.readFileSync(liveFile(id), 'utf8')).toContain('Second body by Alice.');

      const rest = restClient(server.httpUrl, server.adminToken);
      expect((await rest.delete(`/skills/${id}`)).body).toEqual({ deleted: true });
      expect(fs.existsSync(path.dirname(liveFile(id)))).toBe(false);
      expect((await admin.request('skills.get', { skillId: id })).error).toMatchObject({
        code: 'NOT_FOUND',
      });
      const changes = await waitFor(() => {
        const seen = feed.events.filter(
          (e: EventFrame) => e.event === 'skill.changed' && e.payload.by === 'admin',
        );
        return seen.some((e) => e.payload.removed === true) ? seen : false;
      });
      expect(changes.length).toBeGreaterThanOrEqual(3);
      feed.close();

      // the history stays; the next promotion continues at 6 and is owned by its promoter
      const history = await bob.request('skills.history', { skillId: id });
      expect((history.payload?.versions as unknown[]).length).toBe(5);
      await draftFor('job-b2', 'bob', 'Bob starts over.');
      const again = await bob.request('skills.promote', { jobId: 'job-b2' });
      expect(again.payload).toMatchObject({ skill: { id, version: 6, ownerId: 'bob' } });
    });
  });

  describe('drafts', () => {
    it('lists a promoted draft as promoted with its skill and version, and deletes folder and row', async () => {
      await skills.writeDraft('job-d1', 'draft-one', skillMd('draft-one', 'Draft one.'), {
        category: 'tools',
        ownerId: 'alice',
      });
      await skills.writeDraft('job-d2', 'draft-two', skillMd('draft-two', 'Draft two.'), {
        category: 'tools',
        ownerId: 'alice',
      });
      expect((await alice.request('skills.promote', { jobId: 'job-d1' })).ok).toBe(true);

      const listed = await alice.request('drafts.list', {});
      const drafts = listed.payload?.drafts as { jobId: string }[];
      expect(drafts.find((d) => d.jobId === 'job-d1')).toMatchObject({
        status: 'promoted',
        promoted: { skillId: 'tools/draft-one', version: 1 },
      });
      expect(drafts.find((d) => d.jobId === 'job-d2')).toMatchObject({
        status: 'open',
        promoted: null,
      });
      const promotedOnly = await alice.request('drafts.list', { status: 'promoted' });
      const promotedDrafts = promotedOnly.payload?.drafts as { jobId: string; status: string }[];
      expect(promotedDrafts.map((d) => d.jobId).sort()).toEqual(['job-a1', 'job-a2', 'job-d1']);
      expect(promotedDrafts.every((d) => d.status === 'promoted')).toBe(true);

      // Bob sees none of Alice's drafts and cannot delete them
      const bobs = (await bob.request('drafts.list', {})).payload?.drafts as { ownerId: string }[];
      expect(bobs.every((d) => d.ownerId === 'bob')).toBe(true);
      expect((await bob.request('drafts.delete', { jobId: 'job-d2' })).error).toMatchObject({
        code: 'NOT_FOUND',
      });
      const draftDir = path.join(server.config.skillsRoot, '_drafts', 'job-d2');
      expect(fs.existsSync(draftDir)).toBe(true);

      expect((await alice.request('drafts.delete', { jobId: 'job-d2' })).payload).toEqual({
        deleted: true,
      });
      expect(fs.existsSync(draftDir)).toBe(false);
      const rows = await server.app
        .get(DataSource)
        .query(`SELECT job_id FROM drafts WHERE job_id = 'job-d2'`);
      expect(rows).toEqual([]);
      expect((await alice.request('drafts.delete', { jobId: 'job-d2' })).error).toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('removes the drafts of purged jobs', async () => {
      const rest = restClient(server.httpUrl, server.adminToken);
      const jobId = await createStepsJob(rest, { steps: 1, sideEffectDir: sideEffectDir() });
      await waitForStatus(rest, jobId, 'completed');
      await skills.writeDraft(jobId, 'purged-draft', skillMd('purged-draft', 'Old.'), {
        ownerId: 'admin',
      });
      const db = server.app.get(DataSource);
      await db.query(`UPDATE jobs SET finished_at = now() - interval '40 days' WHERE id = $1`, [
        jobId,
      ]);
      const purged = await admin.request('jobs.purge', { olderThanDays: 30 });
      expect(purged.payload).toMatchObject({ purged: 1 });
      expect(fs.existsSync(path.join(server.config.skillsRoot, '_drafts', jobId))).toBe(false);
      expect(await db.query(`SELECT job_id FROM drafts WHERE job_id = $1`, [jobId])).toEqual([]);
    });
  });

  describe('import', () => {
    it('imports a flat folder of 5 skills under the category given', async () => {
      const flat = path.join(work, 'flat');
      const names = ['alpha-tool', 'beta-tool', 'gamma-tool', 'delta-tool', 'epsilon-tool'];
      for (const name of names) {
        fs.mkdirSync(path.join(flat, name), { recursive: true });
        fs.writeFileSync(path.join(flat, name, 'SKILL.md'), skillMd(name, `${name} body.`));
      }
      const reply = await admin.request('skills.import', { path: flat, category: 'tools' });
      expect(reply.payload).toEqual({ imported: 5, rejected: [] });
      for (const name of names) {
        expect(fs.existsSync(path.join(server.config.skillsRoot, 'tools', name, 'SKILL.md'))).toBe(
          true,
        );
      }
      const got = await admin.request('skills.get', { skillId: 'tools/alpha-tool' });
      expect(got.payload).toMatchObject({ skill: { version: 1, ownerId: 'admin' } });

      // again: existing skills are rejected with the reason unless --overwrite
      const again = await admin.request('skills.import', { path: flat, category: 'tools' });
      expect(again.payload).toMatchObject({ imported: 0 });
      const rejected = (again.payload?.rejected as { errors: { code: string }[] }[]).map(
        (r) => r.errors[0].code,
      );
      expect(rejected).toEqual(Array(5).fill('SKILL_EXISTS'));
      const overwrite = await admin.request('skills.import', {
        path: flat,
        category: 'tools',
        overwrite: true,
      });
      expect(overwrite.payload).toEqual({ imported: 5, rejected: [] });
      const history = await admin.request('skills.history', { skillId: 'tools/beta-tool' });
      expect(
        (history.payload?.versions as { version: number; action: string }[]).map((v) => [
          v.version,
          v.action,
        ]),
      ).toEqual([
        [1, 'import'],
        [2, 'import'],
      ]);
    });

    it('says which layouts it looked for when the folder holds no skill', async () => {
      const empty = path.join(work, 'empty');
      fs.mkdirSync(empty);
      const reply = await admin.request('skills.import', { path: empty });
      expect(reply.error).toMatchObject({ code: 'VALIDATION_FAILED' });
      const text = JSON.stringify(reply.error);
      expect(text).toContain('<dir>/<category>/<name>/SKILL.md');
      expect(text).toContain('<dir>/<name>/SKILL.md');
    });

    it('imports the clean skills of a hostile folder and rejects each hazard with its reason', async () => {
      const hostile = path.join(work, 'hostile', 'tools');
      const make = (name: string) => {
        const dir = path.join(hostile, name);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'SKILL.md'), skillMd(name, `${name} body.`));
        return dir;
      };
      make('clean-one');
      make('clean-two');
      const setuid = path.join(make('setuid-tool'), 'run.sh');
      fs.writeFileSync(setuid, '#!/bin/sh\necho hi\n');
      fs.chmodSync(setuid, 0o6755);
      expect(fs.statSync(setuid).mode & 0o6000).toBe(0o6000);
      const secret = path.join(work, 'outside-secret');
      fs.writeFileSync(secret, 'admin token\n');
      fs.linkSync(secret, path.join(make('hard-link'), 'secret.txt'));
      fs.writeFileSync(path.join(make('oversize'), 'big.bin'), Buffer.alloc(FILE_LIMIT + 1, 1));
      execFileSync('mkfifo', [path.join(make('fifo-tool'), 'pipe')]);
      fs.symlinkSync('.', path.join(make('loop-tool'), 'loop'));

      const reply = await admin.request('skills.import', { path: path.dirname(hostile) });
      expect(reply.ok).toBe(true);
      const { imported, rejected } = reply.payload as {
        imported: number;
        rejected: { path: string; errors: { code: string; message: string }[] }[];
      };
      const reasons = Object.fromEntries(
        rejected.map((r) => [path.basename(r.path), r.errors.map((e) => e.code)]),
      );
      expect(reasons).toEqual({
        'hard-link': ['HARD_LINK'],
        oversize: ['FILE_TOO_LARGE'],
        'fifo-tool': ['UNSUPPORTED_FILE'],
        'loop-tool': ['SYMLINK_LOOP'],
      });
      expect(rejected.find((r) => r.path.endsWith('fifo-tool'))?.errors[0].message).toContain(
        'FIFO',
      );
      expect(imported).toBe(3);
      const tools = path.join(server.config.skillsRoot, 'tools');
      for (const name of ['clean-one', 'clean-two', 'setuid-tool']) {
        expect(fs.existsSync(path.join(tools, name, 'SKILL.md'))).toBe(true);
      }
      for (const name of ['hard-link', 'oversize', 'fifo-tool', 'loop-tool']) {
        expect(fs.existsSync(path.join(tools, name))).toBe(false);
      }
      // no file anywhere in the library (history included) keeps a setuid or setgid bit
      const modes: number[] = [];
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (entry.isFile()) modes.push(fs.statSync(full).mode);
        }
      };
      walk(server.config.skillsRoot);
      expect(modes.length).toBeGreaterThan(0);
      expect(modes.filter((mode) => (mode & 0o6000) !== 0)).toEqual([]);
      expect(fs.statSync(path.join(tools, 'setuid-tool', 'run.sh')).mode & 0o777).toBe(0o755);
      // nothing half-copied was left beside the skills
      expect(fs.readdirSync(tools).filter((name) => name.startsWith('.'))).toEqual([]);
    });
  });
});
