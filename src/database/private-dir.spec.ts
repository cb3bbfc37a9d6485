import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makePrivateDir } from './private-dir';

describe('makePrivateDir', () => {
  const umask = process.umask();
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-private-'))));
  afterEach(() => {
    process.umask(umask);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes group and other bits off the folder and everything below it, keeping the owner’s', () => {
    const data = path.join(dir, 'data');
    // Modes set with chmod: the umask (maybe left by another test) does not apply to it.
    const make = (file: string, mode: number, folder = false): void => {
      if (folder) fs.mkdirSync(file, { recursive: true });
      else fs.writeFileSync(file, '17');
      fs.chmodSync(file, mode);
    };
    make(data, 0o755, true);
    make(path.join(data, 'pgdata'), 0o755, true);
    make(path.join(data, 'pgdata', 'PG_VERSION'), 0o644);
    make(path.join(data, 'run.sh'), 0o755);
    const outside = path.join(dir, 'outside');
    make(outside, 0o644);
    fs.symlinkSync(outside, path.join(data, 'link'));

    makePrivateDir(data);

    const mode = (p: string): number => fs.statSync(p).mode & 0o777;
    expect(mode(data)).toBe(0o700);
    expect(mode(path.join(data, 'pgdata'))).toBe(0o700);
    expect(mode(path.join(data, 'pgdata', 'PG_VERSION'))).toBe(0o600);
    expect(mode(path.join(data, 'run.sh'))).toBe(0o700);
    // A link is not followed out of the folder.
    expect(mode(outside)).toBe(0o644);
    // What the process creates afterwards is private too.
    fs.writeFileSync(path.join(data, 'new'), '');
    expect(mode(path.join(data, 'new'))).toBe(0o600);
  });

  it('creates a missing folder 0700', () => {
    const data = path.join(dir, 'a', 'b');
    makePrivateDir(data);
    expect(fs.statSync(data).mode & 0o777).toBe(0o700);
  });
});
