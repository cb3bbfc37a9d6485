import * as fs from 'node:fs';
import * as path from 'node:path';

/** Permission bits of group and others: none of them may stay on what the server keeps private. */
const GROUP_AND_OTHERS = 0o077;

/**
 * Makes `dir` (created when missing) reachable by its owner only: the folder becomes 0700 and every
 * file and folder below it loses its group and other bits, so files left 0644 by an earlier version
 * or by another tool become 0600. The process umask becomes 0077, so what is created afterwards is
 * private too. Symbolic links are left alone (chmod would follow them out of the folder).
 */
export function makePrivateDir(dir: string): void {
  process.umask(GROUP_AND_OTHERS);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0 && stat.uid !== uid) {
    throw new Error(
      `DATA_DIR ${dir} belongs to another user (uid ${stat.uid}); the server keeps its database and ` +
        'admin token there and needs a folder of its own user',
    );
  }
  restrict(dir, stat);
}

function restrict(target: string, stat: fs.Stats): void {
  if (stat.mode & GROUP_AND_OTHERS) fs.chmodSync(target, stat.mode & 0o7700);
  if (!stat.isDirectory()) return;
  for (const entry of fs.readdirSync(target)) {
    const child = path.join(target, entry);
    const childStat = fs.lstatSync(child);
    if (!childStat.isSymbolicLink()) restrict(child, childStat);
  }
}

/** Longest socket path bound as it is: sun_path holds 108 bytes on Linux and 104 on macOS. */
const MAX_SOCKET_PATH_BYTES = 103;

/**
 * A path for the Unix socket `name` in `dir`. Node silently cuts a longer path to what fits, which
 * would put the socket somewhere else, so a path too long is reached through an open descriptor of
 * `dir` (/proc/self/fd/N/name, Linux only). `close` releases that descriptor after the socket closed.
 */
export function socketPathIn(dir: string, name: string): { path: string; close(): void } {
  const direct = path.join(dir, name);
  if (Buffer.byteLength(direct) <= MAX_SOCKET_PATH_BYTES) return { path: direct, close: () => {} };
  if (process.platform !== 'linux' || !fs.existsSync('/proc/self/fd')) {
    throw new Error(
      `The socket path ${direct} is too long (${Buffer.byteLength(direct)} bytes, at most ` +
        `${MAX_SOCKET_PATH_BYTES}): use a shorter DATA_DIR`,
    );
  }
  const fd = fs.openSync(dir, 'r');
  let closed = false;
  return {
    path: `/proc/self/fd/${fd}/${name}`,
    close: () => {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
}
