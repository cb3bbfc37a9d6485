/**
 * SkillsService against a real database (embedded PGlite, the real migrations): the index must
 * agree with the folders, and full-text search needs Postgres itself.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { refusal } from '#test/support/refusal';
import { ErrorCode } from '#src/client/protocol';
import { createDataSource } from '#src/database/data-source';
import { EmbeddedPostgres } from '#src/database/embedded-postgres';
import { runMigrationsLocked } from '#src/database/migrator';
import { Skill } from './skill.entity';
import { SkillStore } from './skill-store';
import type { SkillChange, SkillViewer } from './skill.types';
import { SkillsService } from './skills.service';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/skills');

const ALICE: SkillViewer = { userId: 'alice', role: 'user', readOnly: false };
const BOB: SkillViewer = { userId: 'bob', role: 'user', readOnly: false };
const ADMIN: SkillViewer = { userId: 'root', role: 'admin', readOnly: false };

const skillMd = (name: string, description: string, body = '# Title\n\nSome body text.\n') =>
  `---\nname: ${name}\ndescription: ${description}\n---\n${body}`;

describe('SkillsService', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;
  let dataSource: DataSource;
  let base: string;
  let root: string;
  let service: SkillsService;
  let changes: SkillChange[];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-skills-db-'));
    embedded = await EmbeddedPostgres.start(dataDir);
    dataSource = await createDataSource(embedded.url).initialize();
    await runMigrationsLocked(dataSource);
  }, 60_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await embedded?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await dataSource.query('TRUNCATE skills, deployment_settings');
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-skills-'));
    root = path.join(base, 'root');
    service = new SkillsService(dataSource.getRepository(Skill), new SkillStore(root));
    changes = [];
    service.onChange((change) => changes.push(change));
  });

  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const importFixtures = async () => {
    const result = await service.import(FIXTURES);
    expect(result).toEqual({ imported: 21, rejected: [] });
  };

  // every import and promotion copies twice (the kept version, then the live skill)
  jest.setTimeout(30_000);
  describe('import, listing, search and XML', () => {
    it('imports the fixtures so that listing, search and XML agree with the disk', async () => {
      await importFixtures();
      const { skills } = await service.list({});
      expect(skills).toHaveLength(21);
      expect(skills.map((s) => s.id)).toEqual([...skills.map((s) => s.id)].sort());
      const onDisk = fs
        .readdirSync(root)
        .filter((category) => !category.startsWith('.'))
        .flatMap((category) =>
          fs.readdirSync(path.join(root, category)).map((n) => `${category}/${n}`),
        )
        .sort();
      expect(skills.map((s) => s.id)).toEqual(onDisk);

      const pdf = skills.find((s) => s.id === 'documents/pdf-processing');
      expect(pdf).toMatchObject({
        name: 'pdf-processing',
        category: 'documents',
        path: path.join(root, 'documents', 'pdf-processing'),
        status: 'active',
        version: 1,
        declaredVersion: '2.0',
        ownerId: null,
        tags: [],
        validation: { valid: true, errors: [] },
      });
      expect(
        fs.existsSync(path.join(root, 'documents/pdf-processing/scripts/extract_text.py')),
      ).toBe(true);

      const xml = await service.xml();
      const xmlNames = [...xml.matchAll(/<name>(.*)<\/name>/g)].map((m) => m[1]);
      expect(xmlNames).toEqual(skills.map((s) => s.name).sort());
      expect(xml).toContain(
        `<location>${path.join(root, 'python/async-await/SKILL.md')}</location>`,
      );
      expect(changes).toHaveLength(21);
    });

    it('finds a word that occurs only in a body, and ranks name matches first', async () => {
      await importFixtures();
      expect((await service.list({ query: 'semaphore' })).skills.map((s) => s.id)).toEqual([
        'python/async-await',
      ]);
      const { skills: pandas } = await service.list({ query: 'pandas' });
      expect(pandas[0].id).toBe('data/pandas-groupby');
      expect((await service.list({ query: 'zyzzyva' })).skills).toEqual([]);
      expect((await service.list({ query: 'the' })).skills).toEqual([]);
      expect(
        (await service.list({ query: 'pytest', category: 'python' })).skills.map((s) => s.id),
      ).not.toContain('testing/pytest-fixtures');
    });

    it('pages by id and by relevance: the pages together are the whole list, in order', async () => {
      await importFixtures();
      const pages = async (filter: { query?: string }, limit: number) => {
        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { skills: { id: string }[]; nextCursor: string | null } = await service.list({
            ...filter,
            limit,
            ...(cursor === null ? {} : { cursor }),
          });
          expect(page.skills.length).toBeLessThanOrEqual(limit);
          ids.push(...page.skills.map((s) => s.id));
          cursor = page.nextCursor;
        } while (cursor !== null && ids.length < 100);
        return ids;
      };
      const byId = (await service.list({ limit: 200 })).skills.map((s) => s.id);
      expect(await pages({}, 4)).toEqual(byId);
      expect((await service.list({ limit: 4 })).skills.map((s) => s.id)).toEqual(byId.slice(0, 4));
      for (const query of ['python', 'test OR data OR web']) {
        const ranked = (await service.list({ query, limit: 200 })).skills.map((s) => s.id);
        expect(ranked.length).toBeGreaterThanOrEqual(3);
        expect(await pages({ query }, 2)).toEqual(ranked);
      }
      // A search's cursor does not go on a list by id, nor the other way round.
      const searchCursor = (await service.list({ query: 'python', limit: 1 })).nextCursor!;
      const idCursor = (await service.list({ limit: 1 })).nextCursor!;
      for (const [filter, cursor] of [
        [{}, searchCursor],
        [{ query: 'python' }, idCursor],
        [{}, 'bm90IG91cnM'],
      ] as const) {
        const error = await refusal(service.list({ ...filter, cursor }));
        expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
      }
    });

    it('filters by category and status', async () => {
      await importFixtures();
      expect((await service.list({ category: 'web' })).skills.map((s) => s.id)).toEqual([
        'web/react-hooks',
        'web/rest-api-design',
        'web/web-accessibility',
      ]);
      expect((await service.list({ status: 'draft' })).skills).toEqual([]);
      expect((await service.list({ status: 'active' })).skills).toHaveLength(21);
    });

    it('rejects invalid skills and escaping symlinks, copying none of them', async () => {
      const source = path.join(base, 'import');
      const write = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(source, rel)), { recursive: true });
        fs.writeFileSync(path.join(source, rel), text);
      };
      write('tools/good/SKILL.md', skillMd('good', 'Good skill. Use when testing.'));
      write('tools/mismatch/SKILL.md', skillMd('other-name', 'Wrong folder. Use when testing.'));
      write('tools/evil/SKILL.md', skillMd('evil', 'Smuggles a file. Use when testing.'));
      fs.symlinkSync('/etc/passwd', path.join(source, 'tools/evil/passwd'));
      write('Tools/upper/SKILL.md', skillMd('upper', 'Bad category. Use when testing.'));
      write('_drafts/j/x/SKILL.md', skillMd('x', 'Hidden. Use when testing.'));

      const result = await service.import(source);
      expect(result.imported).toBe(1);
      expect(
        result.rejected.map((r) => [path.relative(source, r.path), r.errors.map((e) => e.code)]),
      ).toEqual([
        ['Tools', ['CATEGORY_INVALID']],
        ['tools/evil', ['SYMLINK_OUTSIDE_SKILL']],
        ['tools/mismatch', ['NAME_DIR_MISMATCH']],
      ]);
      expect(fs.readdirSync(path.join(root, 'tools'))).toEqual(['good']);
      expect((await service.list({})).skills.map((s) => s.id)).toEqual(['tools/good']);
    });
  });

  it.each(['../x', '/etc', 'a/../../b', 'python/a\0b', 'python\\async-await'])(
    'refuses the id %j with VALIDATION_FAILED',
    async (id) => {
      expect((await refusal(service.get(id))).code).toBe(ErrorCode.VALIDATION_FAILED);
      expect((await refusal(service.validate({ skillId: id }))).code).toBe(
        ErrorCode.VALIDATION_FAILED,
      );
    },
  );

  describe('get and validate', () => {
    beforeEach(importFixtures);

    it('gets a skill by its id with a slash, with the SKILL.md text', async () => {
      const { skill, content } = await service.get('python/async-await');
      expect(skill.id).toBe('python/async-await');
      expect(content).toBe(
        fs.readFileSync(path.join(FIXTURES, 'python/async-await/SKILL.md'), 'utf8'),
      );
    });

    it('refreshes the row when the file changed on disk, and drops it when the skill is gone', async () => {
      const file = path.join(root, 'python/async-await/SKILL.md');
      fs.writeFileSync(file, skillMd('async-await', 'Quuxified by hand. Use when testing.'));
      const { skill } = await service.get('python/async-await');
      expect(skill.description).toBe('Quuxified by hand. Use when testing.');
      expect((await service.list({ query: 'quuxified' })).skills.map((s) => s.id)).toEqual([
        'python/async-await',
      ]);

      fs.rmSync(path.dirname(file), { recursive: true });
      expect((await refusal(service.get('python/async-await'))).code).toBe(ErrorCode.NOT_FOUND);
      expect((await service.list({ category: 'python' })).skills.map((s) => s.id)).not.toContain(
        'python/async-await',
      );
    });

    it('refuses a skill folder that is a symlink out of the root', async () => {
      const outside = path.join(base, 'outside', 'secret');
      fs.mkdirSync(outside, { recursive: true });
      fs.writeFileSync(path.join(outside, 'SKILL.md'), skillMd('secret', 'Secret. Use when x.'));
      fs.symlinkSync(outside, path.join(root, 'python', 'secret'));
      expect((await refusal(service.get('python/secret'))).code).toBe(ErrorCode.VALIDATION_FAILED);
      expect((await refusal(service.validate({ skillId: 'python/secret' }))).code).toBe(
        ErrorCode.VALIDATION_FAILED,
      );
      await service.reindex();
      expect((await service.list({})).skills.map((s) => s.id)).not.toContain('python/secret');
    });

    it('validates content and skill folders', async () => {
      const bad = await service.validate({ content: skillMd('Bad--Name', 'x') });
      expect(bad.valid).toBe(false);
      expect(bad.errors.map((e) => e.code)).toEqual([
        'NAME_NOT_LOWERCASE',
        'NAME_CONSECUTIVE_HYPHENS',
      ]);
      const good = await service.validate({ skillId: 'web/react-hooks' });
      expect(good).toMatchObject({ path: path.join(root, 'web/react-hooks'), valid: true });
    });
  });

  describe('drafts and promotion', () => {
    const draft = (name: string, description = `The ${name} skill. Use when testing promotion.`) =>
      skillMd(name, description, '# Draft\n\n## When to Use\n\nWhen testing.\n');

    it('writes a draft once per job and indexes it with its target category', async () => {
      const first = await service.writeDraft('job-1', 'retry-logic', draft('retry-logic'), {
        category: 'python',
        ownerId: 'alice',
      });
      expect(first.created).toBe(true);
      expect(first.skill).toMatchObject({
        id: '_drafts/job-1/retry-logic',
        status: 'draft',
        category: 'python',
        path: path.join(root, '_drafts/job-1/retry-logic'),
      });
      const again = await service.writeDraft('job-1', 'other', draft('other'));
      expect(again).toEqual({ ...first, created: false });
      expect(changes.map((c) => [c.skill.id, c.ownerId])).toEqual([
        ['_drafts/job-1/retry-logic', 'alice'],
      ]);
    });

    it('refuses bad draft names and job ids', async () => {
      for (const [jobId, name] of [
        ['../x', 'ok'],
        ['job', '../../etc'],
        ['job', 'Bad'],
      ]) {
        const error = await refusal(service.writeDraft(jobId, name, draft('ok')));
        expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
      }
      expect(fs.existsSync(path.join(root, '_drafts'))).toBe(false);
    });

    it('shows drafts only to their owner and admins', async () => {
      await service.writeDraft('job-1', 'retry-logic', draft('retry-logic'), { ownerId: 'alice' });
      const id = '_drafts/job-1/retry-logic';
      expect((await service.list({}, ALICE)).skills.map((s) => s.id)).toEqual([id]);
      expect((await service.list({}, ADMIN)).skills.map((s) => s.id)).toEqual([id]);
      expect((await service.list({}, BOB)).skills).toEqual([]);
      await expect(service.get(id, ALICE)).resolves.toMatchObject({ skill: { id } });
      expect((await refusal(service.get(id, BOB))).code).toBe(ErrorCode.NOT_FOUND);
      expect((await refusal(service.validate({ skillId: id }, BOB))).code).toBe(
        ErrorCode.NOT_FOUND,
      );
      expect((await refusal(service.promote('job-1', {}, BOB))).code).toBe(ErrorCode.NOT_FOUND);
    });

    it('promotes into an empty place', async () => {
      await service.writeDraft('job-1', 'retry-logic', draft('retry-logic'), {
        category: 'python',
        ownerId: 'alice',
      });
      const skill = await service.promote('job-1', {}, ALICE);
      expect(skill).toMatchObject({
        id: 'python/retry-logic',
        status: 'active',
        path: path.join(root, 'python/retry-logic'),
        validation: { valid: true },
      });
      expect(fs.readFileSync(path.join(root, 'python/retry-logic/SKILL.md'), 'utf8')).toBe(
        draft('retry-logic'),
      );
      expect((await service.list({ status: 'active' })).skills.map((s) => s.id)).toEqual([
        'python/retry-logic',
      ]);
      expect(changes.at(-1)?.skill.id).toBe('python/retry-logic');
    });

    it('refuses to overwrite without overwrite (CONFLICT, nothing changed) and replaces with it', async () => {
      await service.writeDraft(
        'job-1',
        'retry-logic',
        draft('retry-logic', 'First. Use when one.'),
        {
          category: 'python',
        },
      );
      await service.promote('job-1', {});
      await service.writeDraft(
        'job-2',
        'retry-logic',
        draft('retry-logic', 'Second. Use when two.'),
        {
          category: 'python',
        },
      );
      const before = await service.get('python/retry-logic');

      const conflict = await refusal(service.promote('job-2', {}));
      expect(conflict.code).toBe(ErrorCode.CONFLICT);
      expect(await service.get('python/retry-logic')).toEqual(before);

      const replaced = await service.promote('job-2', { overwrite: true });
      expect(replaced.description).toBe('Second. Use when two.');
      expect((await service.get('python/retry-logic')).content).toBe(
        draft('retry-logic', 'Second. Use when two.'),
      );
    });

    it('refuses an invalid draft with VALIDATION_FAILED and the validator codes', async () => {
      await service.writeDraft('job-1', 'retry-logic', skillMd('other', 'x'.repeat(1100)));
      const error = await refusal(service.promote('job-1', {}));
      expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect((error.details as { code: string }[]).map((d) => d.code)).toEqual([
        'NAME_DIR_MISMATCH',
        'DESCRIPTION_TOO_LONG',
      ]);
      expect(fs.existsSync(path.join(root, 'general'))).toBe(false);
    });

    it('answers NOT_FOUND for a job without a draft', async () => {
      expect((await refusal(service.promote('job-9', {}))).code).toBe(ErrorCode.NOT_FOUND);
    });
  });

  describe('reindex', () => {
    it('rebuilds the index from the folders and reports what changed', async () => {
      await importFixtures();
      await service.writeDraft(
        'job-1',
        'retry-logic',
        skillMd('retry-logic', 'Draft. Use when x.'),
      );
      fs.rmSync(path.join(root, 'web'), { recursive: true });
      fs.mkdirSync(path.join(root, 'tools', 'new-one'), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'tools/new-one/SKILL.md'),
        skillMd('new-one', 'Added by hand. Use when x.'),
      );
      changes = [];

      await expect(service.reindex()).resolves.toEqual({ indexed: 21 - 3 + 1 + 1 });
      const ids = (await service.list({})).skills.map((s) => s.id);
      expect(ids).toContain('tools/new-one');
      expect(ids).toContain('_drafts/job-1/retry-logic');
      expect(ids.filter((id) => id.startsWith('web/'))).toEqual([]);
      expect(changes.map((c) => [c.skill.id, c.removed]).sort()).toEqual([
        ['tools/new-one', false],
        ['web/react-hooks', true],
        ['web/rest-api-design', true],
        ['web/web-accessibility', true],
      ]);
    });

    it('runs at startup without holding it up', async () => {
      fs.mkdirSync(path.join(root, 'tools', 'found'), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'tools/found/SKILL.md'),
        skillMd('found', 'Found. Use when x.'),
      );
      expect(service.onApplicationBootstrap()).toBeUndefined();
      await service.beforeApplicationShutdown();
      expect((await service.list({})).skills.map((s) => s.id)).toEqual(['tools/found']);
    });
  });

  describe('dependencies', () => {
    const withDeps = (name: string, dependencies: string) =>
      `---\nname: ${name}\ndescription: ${name} skill. Use when x.\nmetadata:\n  dependencies: "${dependencies}"\n---\n# Title\n\nBody.\n`;
    const put = (id: string, text: string) => {
      fs.mkdirSync(path.join(root, id), { recursive: true });
      fs.writeFileSync(path.join(root, id, 'SKILL.md'), text);
    };
    const codesOf = async (id: string) => {
      const { validation } = (await service.get(id)).skill;
      return {
        valid: validation.valid,
        errors: validation.errors.map((e) => `${e.code}: ${e.message}`),
        warnings: validation.warnings
          .filter((w) => w.code.startsWith('DEPENDENCY'))
          .map((w) => `${w.code}: ${w.message}`),
      };
    };

    it('reports cycles and missing ids on reindex, and clears them when fixed', async () => {
      put('a/x', withDeps('x', 'b/y'));
      put('b/y', skillMd('y', 'y skill. Use when y.'));
      fs.writeFileSync(path.join(root, 'b/y/metadata.json'), '{"dependencies": ["a/x"]}');
      put('c/z', withDeps('z', 'a/x, gone/skill'));
      put('d/w', withDeps('w', 'c/z'));
      await service.reindex();

      expect(await codesOf('a/x')).toEqual({
        valid: false,
        errors: ['DEPENDENCY_CYCLE: Dependency cycle: a/x → b/y → a/x'],
        warnings: [],
      });
      expect(await codesOf('b/y')).toEqual({
        valid: false,
        errors: ['DEPENDENCY_CYCLE: Dependency cycle: b/y → a/x → b/y'],
        warnings: [],
      });
      expect(await codesOf('c/z')).toEqual({
        valid: true,
        errors: [],
        warnings: ['DEPENDENCY_MISSING: Depends on gone/skill, which is not an indexed skill'],
      });
      expect(await codesOf('d/w')).toEqual({ valid: true, errors: [], warnings: [] });
      const listed = new Map(
        (await service.list({})).skills.map((s) => [s.id, s.validation.valid]),
      );
      expect(listed.get('a/x')).toBe(false);

      changes = [];
      await service.reindex();
      expect(changes).toEqual([]);

      fs.rmSync(path.join(root, 'b/y/metadata.json'));
      await service.reindex();
      expect(changes.map((c) => c.skill.id).sort()).toEqual(['a/x', 'b/y']);
      expect(changes.every((c) => c.skill.validation.valid)).toBe(true);
      expect(await codesOf('a/x')).toEqual({ valid: true, errors: [], warnings: [] });
    });

    it('checks the graph on promotion, leaving drafts out of it', async () => {
      await service.writeDraft('job-1', 'needs', withDeps('needs', 'tools/later'));
      expect((await codesOf('_drafts/job-1/needs')).warnings).toEqual([]);
      const first = await service.promote('job-1', {});
      expect(first.validation.warnings.map((w) => w.code)).toContain('DEPENDENCY_MISSING');

      await service.writeDraft('job-2', 'later', withDeps('later', 'general/needs'), {
        category: 'tools',
      });
      changes = [];
      const second = await service.promote('job-2', {});
      expect(second.validation.errors.map((e) => e.message)).toEqual([
        'Dependency cycle: tools/later → general/needs → tools/later',
      ]);
      expect(changes.map((c) => c.skill.id).sort()).toEqual(['general/needs', 'tools/later']);
      const needs = changes.find((c) => c.skill.id === 'general/needs')!.skill.validation;
      expect(needs.valid).toBe(false);
      expect(needs.warnings.map((w) => w.code)).not.toContain('DEPENDENCY_MISSING');
    });
  });
});
