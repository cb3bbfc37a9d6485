import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The admin token file, `<DATA_DIR>/admin-token`, and the record of the server that wrote it,
 * `<DATA_DIR>/server-url`: the CLI sends the file's token to that server only.
 */

/** Reads the token file; '' when it is missing. A file that is not plainly ours is refused. */
export function readAdminTokenFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  assertOurs(file, stat);
  return fs.readFileSync(file, 'utf8').trim();
}

/**
 * Writes a new admin token: an earlier file of ours is removed, then the new one is created
 * exclusively (`wx`, mode 0600), so a file planted meanwhile is an error, never something written
 * into and later read by whoever planted it.
 */
export function writeAdminTokenFile(file: string, token: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  readAdminTokenFile(file); // refuses a file that is not ours before removing it
  fs.rmSync(file, { force: true });
  try {
    fs.writeFileSync(file, `${token}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`${file} appeared while the admin token was being written: remove it`);
    }
    throw error;
  }
}

/** A regular file of this user with one link and no access for others; anything else is refused. */
function assertOurs(file: string, stat: fs.Stats): void {
  const uid = process.getuid?.();
  const problem = !stat.isFile()
    ? 'is not a regular file'
    : uid !== undefined && stat.uid !== uid
      ? `belongs to another user (uid ${stat.uid})`
      : stat.nlink !== 1
        ? 'has other hard links'
        : stat.mode & 0o077
          ? 'can be read or written by other users'
          : undefined;
  if (problem) {
    throw new Error(
      `${file} ${problem}, so it was not written by this server: remove it and start again`,
    );
  }
}

/** The address clients use: a wildcard host is reached on loopback. */
export function clientUrlOf(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const shown = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `ws://${shown}:${port}/ws`;
}

export function recordServerUrl(file: string, url: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${url}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/** Removes the record when it still names `url` (another server may have written it since). */
export function forgetServerUrl(file: string, url: string): void {
  if (readServerUrl(file) === url) fs.rmSync(file, { force: true });
}

export function readServerUrl(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Whether `url` addresses the server recorded as `recorded`: the same scheme family, port and
 * host, where every loopback name counts as one host.
 */
export function isRecordedServer(url: string, recorded: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(url);
    b = new URL(recorded);
  } catch {
    return false;
  }
  const secure = (u: URL): boolean => u.protocol === 'wss:' || u.protocol === 'https:';
  const port = (u: URL): string => u.port || (secure(u) ? '443' : '80');
  const host = (u: URL): string => (LOOPBACK.test(u.hostname) ? 'loopback' : u.hostname);
  return secure(a) === secure(b) && port(a) === port(b) && host(a) === host(b);
}
