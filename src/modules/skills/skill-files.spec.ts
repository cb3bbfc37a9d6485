import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppError } from '#src/common/errors/app-error';
import { listSkillFiles, MAX_FILE_BYTES, readSkillFile } from './skill-files';

describe('skill files', () => {
  let root: string;
  let dir: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-files-'));
    dir = path.join(root, 'cat', 'one');
    fs.mkdirSync(path.join(dir, 'references'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'SKILL.md'), '---\nname: one\n---\n');
    fs.writeFileSync(path.join(dir, 'references', 'guide.md'), '# Guide\n');
    fs.writeFileSync(path.join(root, 'secret.txt'), 'secret');
    fs.symlinkSync(path.join(root, 'secret.txt'), path.join(dir, 'leak.txt'));
    fs.symlinkSync(path.join(dir, 'references', 'guide.md'), path.join(dir, 'alias.md'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const code = (work: Promise<unknown>) =>
    work.then(
      () => 'read',
      (error: AppError) => `${error.code} ${error.message}`,
    );

  it('lists regular files and inside symlinks, sorted, breadth first', async () => {
    const { files, truncated } = await listSkillFiles(dir);
    expect(truncated).toBe(false);
    expect(files.map((f) => f.path)).toEqual(['SKILL.md', 'alias.md', 'references/guide.md']);
    expect(files[0].size).toBe(18);
  });

  it('reads a text file by its relative path', async () => {
    await expect(readSkillFile(dir, 'references/guide.md')).resolves.toEqual({
      path: 'references/guide.md',
      size: 8,
      content: '# Guide\n',
    });
  });

  it.each([
    ['../../secret.txt', "VALIDATION_FAILED path: must not contain '..'"],
    ['/etc/passwd', 'VALIDATION_FAILED path: must be relative to the skill folder'],
    ['references\\guide.md', 'VALIDATION_FAILED path: must not contain backslashes'],
    ['a\0b', 'VALIDATION_FAILED path: must not contain NUL characters'],
    ['references//guide.md', "VALIDATION_FAILED path: must not contain empty or '.' segments"],
    ['', 'VALIDATION_FAILED path: must not be empty'],
    ['leak.txt', 'VALIDATION_FAILED path: resolves outside the skill folder'],
    ['references', 'VALIDATION_FAILED path: is not a file'],
    ['missing.md', 'NOT_FOUND File missing.md not found'],
  ])('refuses %j', async (relPath, expected) => {
    expect(await code(readSkillFile(dir, relPath))).toBe(expected);
  });

  it('refuses binary and oversized files', async () => {
    fs.writeFileSync(path.join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x00, 0x47]));
    fs.writeFileSync(path.join(dir, 'big.txt'), 'x'.repeat(MAX_FILE_BYTES + 1));
    expect(await code(readSkillFile(dir, 'image.png'))).toMatch(/binary file/);
    expect(await code(readSkillFile(dir, 'big.txt'))).toMatch(/are not served/);
  });
});
