import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataDirInUseError, DataDirLock, LOCK_SOCKET } from './data-dir-lock';

describe('DataDirLock', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-lock-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a second holder, naming the live owner’s pid, and is free again after release', async () => {
    const lock = await DataDirLock.acquire(dir);
    const second = DataDirLock.acquire(dir);
    await expect(second).rejects.toThrow(DataDirInUseError);
    await expect(second).rejects.toThrow(
      `in use by another Skill Fleet process (pid ${process.pid})`,
    );
    await lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_SOCKET))).toBe(false);
    await (await DataDirLock.acquire(dir)).release();
  });

  it('takes over a socket file nobody listens on (the owner died) and a pid file of earlier versions', async () => {
    // A socket file whose listener is gone, as a SIGKILLed owner leaves it.
    const listener = net.createServer();
    const bound = path.join(dir, 'bound');
    await new Promise<void>((resolve) => listener.listen(bound, resolve));
    fs.linkSync(bound, path.join(dir, LOCK_SOCKET));
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    expect(fs.lstatSync(path.join(dir, LOCK_SOCKET)).isSocket()).toBe(true);
    await (await DataDirLock.acquire(dir)).release();

    // The pid of a live process (ours): earlier versions would have refused this for ever.
    fs.writeFileSync(path.join(dir, LOCK_SOCKET), String(process.pid));
    await (await DataDirLock.acquire(dir)).release();
  });

  it('works in a folder whose path is too long for a Unix socket', async () => {
    const deep = path.join(dir, 'd'.repeat(120));
    fs.mkdirSync(deep);
    const lock = await DataDirLock.acquire(deep);
    expect(fs.lstatSync(path.join(deep, LOCK_SOCKET)).isSocket()).toBe(true);
    await expect(DataDirLock.acquire(deep)).rejects.toThrow(DataDirInUseError);
    await lock.release();
    expect(fs.readdirSync(deep)).toEqual([]);
  });
});
