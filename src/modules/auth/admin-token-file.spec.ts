import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  clientUrlOf,
  isRecordedServer,
  readAdminTokenFile,
  writeAdminTokenFile,
} from './admin-token-file';

describe('admin token file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-token-'));
    file = path.join(dir, 'admin-token');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes 0600 and replaces an earlier file of its own', () => {
    writeAdminTokenFile(file, 'sf_one');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    writeAdminTokenFile(file, 'sf_two');
    expect(readAdminTokenFile(file)).toBe('sf_two');
  });

  it.each([
    [
      'readable by others',
      () => {
        fs.writeFileSync(file, 'planted');
        fs.chmodSync(file, 0o644);
      },
      /other users/,
    ],
    [
      'a hard link to another file',
      () => {
        fs.writeFileSync(path.join(dir, 'elsewhere'), 'x', { mode: 0o600 });
        fs.linkSync(path.join(dir, 'elsewhere'), file);
      },
      /hard links/,
    ],
    ['a symbolic link', () => fs.symlinkSync(path.join(dir, 'target'), file), /not a regular file/],
  ])('refuses a planted file %s, and leaves it', (_label, plant, reason) => {
    plant();
    fs.chmodSync(dir, 0o700);
    expect(() => writeAdminTokenFile(file, 'sf_secret')).toThrow(reason);
    expect(() => readAdminTokenFile(file)).toThrow(/not written by this server/);
    const still = fs.lstatSync(file);
    if (still.isFile()) expect(fs.readFileSync(file, 'utf8')).not.toContain('sf_secret');
  });
});

describe('the recorded server', () => {
  it('is the one address the token goes to; loopback names count as one host', () => {
    const recorded = clientUrlOf('0.0.0.0', 3000);
    expect(recorded).toBe('ws://127.0.0.1:3000/ws');
    expect(isRecordedServer('ws://127.0.0.1:3000/ws', recorded)).toBe(true);
    expect(isRecordedServer('ws://localhost:3000/ws', recorded)).toBe(true);
    expect(isRecordedServer('ws://127.0.0.1:3001/ws', recorded)).toBe(false);
    expect(isRecordedServer('ws://evil.example:3000/ws', recorded)).toBe(false);
    expect(isRecordedServer('wss://127.0.0.1:3000/ws', recorded)).toBe(false);
    expect(isRecordedServer('not a url', recorded)).toBe(false);
    expect(clientUrlOf('::', 8080)).toBe('ws://[::1]:8080/ws');
    expect(isRecordedServer('ws://[::1]:8080/ws', clientUrlOf('::', 8080))).toBe(true);
  });
});
