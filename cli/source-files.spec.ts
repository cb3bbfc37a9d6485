import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLIENT_SOURCE_LIMITS, readSourceFiles, SourceFilesError } from './source-files';

describe('readSourceFiles (create --from)', () => {
  let dir: string;
  const write = (rel: string, content: string | Buffer) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-sources-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('walks a folder in name order, nested folders included, naming each file by its path', async () => {
    write('docs/b.md', '# B');
    write('docs/a.txt', 'a');
    write('docs/sub/run.sh', 'echo run');
    write('docs/Dockerfile', 'FROM node');
    const { sources, notes } = await readSourceFiles([path.join(dir, 'docs') + '/']);
    const shown = path.join(dir, 'docs');
    expect(sources).toEqual([
      { name: `${shown}/a.txt`, content: 'a' },
      { name: `${shown}/b.md`, content: '# B' },
      { name: `${shown}/Dockerfile`, content: 'FROM node' },
      { name: `${shown}/sub/run.sh`, content: 'echo run' },
    ]);
    expect(notes).toEqual([]);
  });

  it('leaves out hidden files and dependency folders without a note', async () => {
    write('repo/README.md', 'read me');
    write('repo/.env', 'SECRET=1');
    write('repo/.git/config', '[core]');
    write('repo/node_modules/pkg/index.js', 'module.exports = 1');
    const { sources, notes } = await readSourceFiles([path.join(dir, 'repo')]);
    expect(sources.map((s) => path.basename(s.name))).toEqual(['README.md']);
    expect(notes).toEqual([]);
  });

  it('skips binaries and files that are not text, with a note each, and reads the rest', async () => {
    write('mixed/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
    write('mixed/notes.md', Buffer.from([0x23, 0x20, 0, 0x41])); // a NUL byte: binary
    write('mixed/latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9])); // not UTF-8
    write('mixed/guide.md', '# Guide\n\n```sh\nmake test\n```\n');
    execFileSync('mkfifo', [path.join(dir, 'mixed/pipe.md')]);
    const { sources, notes } = await readSourceFiles([path.join(dir, 'mixed')]);
    const shown = path.join(dir, 'mixed');
    expect(sources).toEqual([
      { name: `${shown}/guide.md`, content: '# Guide\n\n```sh\nmake test\n```\n' },
    ]);
    expect(notes).toEqual([
      `skipped ${shown}/latin1.txt: binary, not text`,
      `skipped ${shown}/logo.png: not a Markdown, text or code file`,
      `skipped ${shown}/notes.md: binary, not text`,
      `skipped ${shown}/pipe.md: not a regular file`,
    ]);
  });

  it('reads a file named on its own whatever its extension, but not a binary one', async () => {
    const plain = write('LOG.out', 'line one');
    const binary = write('blob.bin', Buffer.from([1, 0, 2]));
    const { sources, notes } = await readSourceFiles([plain, binary]);
    expect(sources).toEqual([{ name: plain, content: 'line one' }]);
    expect(notes).toEqual([`skipped ${binary}: binary, not text`]);
  });

  const refusal = async (paths: string[], limits = CLIENT_SOURCE_LIMITS) => {
    const error = await readSourceFiles(paths, limits).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceFilesError);
    return (error as SourceFilesError).message;
  };

  it('refuses a missing path and a path that is neither file nor folder', async () => {
    expect(await refusal([path.join(dir, 'nope.md')])).toBe(
      `--from ${path.join(dir, 'nope.md')}: no such file or folder`,
    );
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(await refusal([fifo])).toBe(`--from ${fifo}: not a file or folder`);
  });

  it('refuses a file over the size of one source, naming it and the limit', async () => {
    const big = write('big.md', 'x'.repeat(CLIENT_SOURCE_LIMITS.maxBytesEach + 1));
    expect(await refusal([big])).toBe(
      `${big} is ${CLIENT_SOURCE_LIMITS.maxBytesEach + 1} bytes; a source may hold at most ` +
        `${CLIENT_SOURCE_LIMITS.maxBytesEach} (split it, or pass a smaller file)`,
    );
    // exactly at the limit is fine
    const fits = write('fits.md', 'x'.repeat(CLIENT_SOURCE_LIMITS.maxBytesEach));
    expect((await readSourceFiles([fits])).sources).toHaveLength(1);
  });

  it('refuses more files than the count limit, and more bytes than the total limit', async () => {
    const limits = { maxCount: 3, maxBytesEach: 100, maxBytesTotal: 250 };
    for (let i = 0; i < 4; i++) write(`many/f${i}.md`, `# ${i}`);
    expect(await refusal([path.join(dir, 'many')], limits)).toBe(
      'more than 3 text files to send; pass fewer files or a smaller folder',
    );
    for (let i = 0; i < 3; i++) write(`large/f${i}.md`, 'y'.repeat(100));
    expect(await refusal([path.join(dir, 'large')], limits)).toBe(
      'the sources add up to more than 250 bytes; pass fewer or smaller files',
    );
    // the same limits hold across several paths
    expect(
      await refusal(
        [path.join(dir, 'large/f0.md'), path.join(dir, 'large/f1.md'), path.join(dir, 'large')],
        limits,
      ),
    ).toBe('the sources add up to more than 250 bytes; pass fewer or smaller files');
  });
});
