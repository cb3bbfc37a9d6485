import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { refusal } from '#test/support/refusal';
import { ErrorCode } from '#src/client/protocol';
import { PermanentError } from '#src/common/errors/permanent-error';
import { CopyRefused, scanTaxonomy, SkillFsOps, SkillStore } from './skill-store';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/skills');

const skillMd = (name: string, words = 'Does things.') =>
  `---\nname: ${name}\ndescription: ${words} Use when testing.\n---\n# ${name}\n\n${words}\n`;

function writeSkill(dir: string, name: string, words?: string, files: Record<string, string> = {}) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'SKILL.md'), skillMd(name, words));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
}

/** Every entry below `dir` with its content (files) or link target (symlinks). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const rel = path.relative(dir, full);
      if (entry.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(full)}`;
      else if (entry.isDirectory()) walk(full);
      else out[rel] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** The fs seam with renames that fail when `fail` says so, recording every rename. */
function failingRenames(fail: (from: string, to: string) => boolean) {
  const calls: [string, string][] = [];
  const ops: SkillFsOps = {
    rename: async (from, to) => {
      calls.push([from, to]);
      if (fail(from, to)) throw Object.assign(new Error('injected crash'), { code: 'EIO' });
      await fs.promises.rename(from, to);
    },
  };
  return { ops, calls };
}

const workDirs = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.sf-')) : [];

describe('SkillStore', () => {
  let base: string;
  let root: string;
  let outside: string;
  let store: SkillStore;

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-store-'));
    root = path.join(base, 'skills');
    outside = path.join(base, 'outside');
    fs.mkdirSync(root);
    writeSkill(path.join(outside, 'secret'), 'secret', 'Outside the root.');
    store = new SkillStore(root);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  describe('reading', () => {
    it('reads SKILL.md of a skill inside the root', async () => {
      writeSkill(path.join(root, 'python', 'async-await'), 'async-await');
      const { dir, text } = await store.read({
        kind: 'skill',
        category: 'python',
        name: 'async-await',
      });
      expect(dir).toBe(path.join(root, 'python', 'async-await'));
      expect(text).toBe(skillMd('async-await'));
    });

    it('answers NOT_FOUND for a missing skill', async () => {
      const error = await refusal(store.read({ kind: 'skill', category: 'x', name: 'y' }));
      expect(error.code).toBe(ErrorCode.NOT_FOUND);
    });

    describe('refuses, without opening any file outside the root', () => {
      let opened: string[];
      beforeEach(() => {
        opened = [];
        const open = fs.promises.open.bind(fs.promises);
        jest.spyOn(fs.promises, 'open').mockImplementation((file, ...rest) => {
          opened.push(String(file));
          return open(file, ...rest);
        });
      });
      afterEach(() => jest.restoreAllMocks());
      const openedOutside = () =>
        opened.filter((f) => !fs.realpathSync(f).startsWith(fs.realpathSync(root)));

      it('a skill folder that is a symlink out of the root', async () => {
        fs.mkdirSync(path.join(root, 'python'));
        fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'python', 'secret'));
        const error = await refusal(
          store.read({ kind: 'skill', category: 'python', name: 'secret' }),
        );
        expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
        expect(error.details).toEqual([
          { field: 'skillId', message: 'resolves outside the skills root' },
        ]);
        expect(openedOutside()).toEqual([]);
      });

      it('a category folder that is a symlink out of the root', async () => {
        fs.symlinkSync(outside, path.join(root, 'python'));
        const error = await refusal(
          store.read({ kind: 'skill', category: 'python', name: 'secret' }),
        );
        expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
        expect(openedOutside()).toEqual([]);
      });

      it('a SKILL.md that is a symlink to /etc/passwd', async () => {
        const dir = path.join(root, 'python', 'evil');
        fs.mkdirSync(dir, { recursive: true });
        fs.symlinkSync('/etc/passwd', path.join(dir, 'SKILL.md'));
        const error = await refusal(
          store.read({ kind: 'skill', category: 'python', name: 'evil' }),
        );
        expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
        expect(error.message).toContain('symlink');
        expect(opened).toEqual([]);
      });
    });
  });

  describe('install (promotion and import)', () => {
    const target = { category: 'python', name: 'async-await' };
    const targetDir = () => path.join(root, 'python', 'async-await');
    let source: string;
    let old: Record<string, string>;

    beforeEach(() => {
      source = path.join(base, 'draft', 'async-await');
      writeSkill(source, 'async-await', 'New version.', { 'references/new.md': 'new' });
    });

    const withOldSkill = () => {
      writeSkill(targetDir(), 'async-await', 'Old version.', { 'references/old.md': 'old' });
      old = tree(targetDir());
    };

    it('copies into an empty place', async () => {
      await store.install(source, target, false);
      expect(tree(targetDir())).toEqual(tree(source));
      expect(workDirs(path.join(root, 'python'))).toEqual([]);
    });

    it('refuses an existing skill without overwrite: CONFLICT and nothing changed', async () => {
      withOldSkill();
      const error = await refusal(store.install(source, target, false));
      expect(error.code).toBe(ErrorCode.CONFLICT);
      expect(error.details).toEqual({ skillId: 'python/async-await' });
      expect(tree(targetDir())).toEqual(old);
      expect(workDirs(path.join(root, 'python'))).toEqual([]);
    });

    it('replaces an existing skill with overwrite, dropping files the new one lacks', async () => {
      withOldSkill();
      await store.install(source, target, true);
      expect(tree(targetDir())).toEqual(tree(source));
      expect(fs.existsSync(path.join(targetDir(), 'references', 'old.md'))).toBe(false);
      expect(workDirs(path.join(root, 'python'))).toEqual([]);
    });

    it('keeps the old skill intact when the rename into place fails', async () => {
      withOldSkill();
      const { ops, calls } = failingRenames((from) => path.basename(from).startsWith('.sf-tmp-'));
      store = new SkillStore(root, ops);
      await expect(store.install(source, target, true)).rejects.toThrow('injected crash');
      expect(calls.map(([from, to]) => [path.basename(from), path.basename(to)])).toEqual([
        ['async-await', expect.stringMatching(/^\.sf-bak-/)],
        [expect.stringMatching(/^\.sf-tmp-/), 'async-await'],
        [expect.stringMatching(/^\.sf-bak-/), 'async-await'],
      ]);
      expect(tree(targetDir())).toEqual(old);
      expect(workDirs(path.join(root, 'python'))).toEqual([]);
    });

    it('succeeds when only removing the backup fails, and recovery removes it later', async () => {
      withOldSkill();
      const rm = fs.promises.rm.bind(fs.promises);
      jest.spyOn(fs.promises, 'rm').mockImplementation(async (file, options) => {
        if (path.basename(String(file)).startsWith('.sf-bak-')) throw new Error('injected crash');
        return rm(file, options);
      });
      try {
        await store.install(source, target, true);
      } finally {
        jest.restoreAllMocks();
      }
      expect(tree(targetDir())).toEqual(tree(source));
      expect(workDirs(path.join(root, 'python'))).toEqual([expect.stringMatching(/^\.sf-bak-/)]);
      await store.recover(0);
      expect(workDirs(path.join(root, 'python'))).toEqual([]);
      expect(tree(targetDir())).toEqual(tree(source));
    });

    it('after a crash between moving the old skill aside and the rename, recovery restores it', async () => {
      withOldSkill();
      // the process "dies": the rename into place and the restore both fail
      const { ops } = failingRenames((_from, to) => path.basename(to) === 'async-await');
      await expect(new SkillStore(root, ops).install(source, target, true)).rejects.toThrow();
      expect(fs.existsSync(targetDir())).toBe(false);
      expect(workDirs(path.join(root, 'python'))).toEqual([expect.stringMatching(/^\.sf-bak-/)]);

      await store.recover(60_000); // too fresh: could be a swap in progress elsewhere
      expect(fs.existsSync(targetDir())).toBe(false);
      await store.recover(0);
      expect(tree(targetDir())).toEqual(old);
      expect(workDirs(path.join(root, 'python'))).toEqual([]);
    });

    it('refuses a skill holding a symlink to /etc/passwd, writing nothing', async () => {
      fs.symlinkSync('/etc/passwd', path.join(source, 'references', 'passwd'));
      const error = await store.install(source, target, false).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CopyRefused);
      expect((error as CopyRefused).issue.code).toBe('SYMLINK_OUTSIDE_SKILL');
      expect(fs.existsSync(targetDir())).toBe(false);
      expect(workDirs(path.join(root, 'python'))).toEqual([]);
    });

    it('recreates a symlink that stays inside the skill as a relative link', async () => {
      fs.symlinkSync(path.join(source, 'references', 'new.md'), path.join(source, 'latest.md'));
      await store.install(source, target, false);
      const link = path.join(targetDir(), 'latest.md');
      expect(fs.readlinkSync(link)).toBe(path.join('references', 'new.md'));
      expect(fs.readFileSync(link, 'utf8')).toBe('new');
    });

    it('refuses a category folder that is a symlink out of the root, writing nothing', async () => {
      fs.symlinkSync(outside, path.join(root, 'python'));
      const before = tree(outside);
      const error = await refusal(store.install(source, target, false));
      expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(tree(outside)).toEqual(before);
    });
  });

  describe('drafts', () => {
    const manifest = { name: 'async-await', category: 'python', ownerId: 'u1' };

    it("removes the job's work folder that a killed write left, and no other job's", async () => {
      const drafts = path.join(root, '_drafts');
      fs.mkdirSync(path.join(drafts, '.sf-tmp-1-00ff-job-k', 'async-await'), { recursive: true });
      fs.mkdirSync(path.join(drafts, '.sf-tmp-1-00ff-job-other'), { recursive: true });
      await store.writeDraft('job-k', manifest, skillMd('async-await', 'Kept.'));
      expect(fs.readdirSync(drafts).sort()).toEqual(['.sf-tmp-1-00ff-job-other', 'job-k']);
    });

    it('writes a draft once; a second call returns the first one unchanged', async () => {
      const first = await store.writeDraft('job-1', manifest, skillMd('async-await', 'First.'));
      const second = await store.writeDraft(
        'job-1',
        { ...manifest, name: 'other' },
        skillMd('other', 'Second.'),
      );
      expect(first).toEqual({ created: true, manifest });
      expect(second).toEqual({ created: false, manifest });
      expect(tree(path.join(root, '_drafts'))).toEqual({
        'job-1/async-await/SKILL.md': skillMd('async-await', 'First.'),
        'job-1/draft.json': JSON.stringify(manifest),
      });
    });

    it("replaces the draft with a later run's (a rewind), and keeps it for the same run", async () => {
      await store.writeDraft('job-r', manifest, skillMd('async-await', 'First.'));
      const later = { ...manifest, name: 'renamed', run: 2 };
      const second = await store.writeDraft('job-r', later, skillMd('renamed', 'Second.'));
      const again = await store.writeDraft('job-r', later, skillMd('renamed', 'Third.'));
      expect(second).toEqual({ created: true, replaced: manifest, manifest: later });
      expect(again).toEqual({ created: false, manifest: later });
      expect(await store.readDraft('job-r')).toEqual(later);
      expect(tree(path.join(root, '_drafts'))).toEqual({
        'job-r/renamed/SKILL.md': skillMd('renamed', 'Second.'),
        'job-r/draft.json': JSON.stringify(later),
      });
    });

    it('fails at once, naming the path and the cause, when the disk refuses the draft', async () => {
      const refused = Object.assign(
        new Error(`EROFS: read-only file system, open '${root}/_drafts/x/SKILL.md'`),
        { code: 'EROFS' },
      );
      const spy = jest.spyOn(fs.promises, 'writeFile').mockRejectedValueOnce(refused);
      try {
        const failure = await store.writeDraft('job-ro', manifest, skillMd('async-await')).then(
          () => undefined,
          (error: unknown) => error as PermanentError,
        );
        expect(failure).toBeInstanceOf(PermanentError);
        expect(failure?.code).toBe('DRAFT_NOT_WRITTEN');
        expect(failure?.message).toContain(`read-only file system, open '${root}/_drafts/`);
      } finally {
        spy.mockRestore();
      }
      expect(workDirs(path.join(root, '_drafts'))).toEqual([]);
    });

    it('lets exactly one of two concurrent writers create the draft', async () => {
      const results = await Promise.all(
        ['a-skill', 'b-skill'].map((name) =>
          store.writeDraft('job-2', { ...manifest, name }, skillMd(name)),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(results[0].manifest).toEqual(results[1].manifest);
      expect(workDirs(path.join(root, '_drafts'))).toEqual([]);
    });

    it('ignores a tampered manifest', async () => {
      fs.mkdirSync(path.join(root, '_drafts', 'job-3'), { recursive: true });
      fs.writeFileSync(
        path.join(root, '_drafts', 'job-3', 'draft.json'),
        JSON.stringify({ name: '../../etc', category: 'python', ownerId: null }),
      );
      await expect(store.readDraft('job-3')).resolves.toBeNull();
    });
  });

  describe('walking and scanning', () => {
    it('finds the 21 fixture skills', async () => {
      const { entries, problems } = await scanTaxonomy(FIXTURES);
      expect(problems).toEqual([]);
      expect(entries).toHaveLength(21);
      expect(entries).toContainEqual({
        category: 'python',
        name: 'async-await',
        dir: path.join(fs.realpathSync(FIXTURES), 'python', 'async-await'),
      });
    });

    it('lists skills and drafts, skipping hidden folders and reporting bad names and escapes', async () => {
      writeSkill(path.join(root, 'python', 'async-await'), 'async-await');
      writeSkill(path.join(root, 'Python', 'x'), 'x');
      writeSkill(path.join(root, 'python', 'Bad_Name'), 'Bad_Name');
      writeSkill(path.join(root, '_templates', 'tpl'), 'tpl');
      writeSkill(path.join(root, '.git', 'obj'), 'obj');
      fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'python', 'secret'));
      fs.symlinkSync(path.join(root, 'python', 'async-await'), path.join(root, 'python', 'alias'));
      await store.writeDraft('job-1', { name: 'draft-one', category: 'web', ownerId: null }, '');

      const { skills, problems } = await store.walk();
      expect(skills.map((s) => s.ref)).toEqual([
        { kind: 'skill', category: 'python', name: 'async-await' },
        { kind: 'draft', jobId: 'job-1', name: 'draft-one' },
      ]);
      expect(skills[1].manifest).toEqual({ name: 'draft-one', category: 'web', ownerId: null });
      expect(
        problems.map((p) => [path.relative(fs.realpathSync(root), p.dir), p.error.code]),
      ).toEqual([
        ['Python', 'CATEGORY_INVALID'],
        ['python/secret', 'SYMLINK_OUTSIDE_SKILL'],
        ['python/Bad_Name', 'NAME_NOT_LOWERCASE'],
      ]);
    });
  });

  describe('import source', () => {
    it.each([
      ['relative', 'test/fixtures/skills', 'must be an absolute path on the server'],
      ['with NUL', '/tmp/a\0b', 'must not contain NUL characters'],
      ['missing', '/nonexistent/skills', 'does not exist or is not a folder'],
    ])('refuses a %s path', async (_label, dir, message) => {
      const error = await refusal(store.importSource(dir));
      expect(error.details).toEqual([{ field: 'path', message }]);
    });

    it('refuses the root itself, a folder inside it, and a folder holding it', async () => {
      fs.mkdirSync(path.join(root, 'python'));
      for (const dir of [root, path.join(root, 'python'), base]) {
        const error = await refusal(store.importSource(dir));
        expect(error.details).toEqual([
          { field: 'path', message: 'must be outside the skills root' },
        ]);
      }
    });
  });
});
