import * as fs from 'node:fs';
import * as path from 'node:path';

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `DATA_DIR ${dataDir} is in use by another Skill Fleet process (pid ${pid}). ` +
        'The embedded database serves one process: stop that process, point DATA_DIR elsewhere, ' +
        'or set DATABASE_URL and REDIS_URL to run several processes on a shared Postgres and Redis.',
    );
    this.name = 'DataDirInUseError';
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * An exclusive lock on DATA_DIR: a `.lock` file created atomically and holding our pid. A lock left by
 * a process that no longer exists (a crash, SIGKILL) is taken over.
 */
export class DataDirLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): DataDirLock {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, '.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
        return new DataDirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(fs.readFileSync(file, 'utf8').trim());
        if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
          throw new DataDirInUseError(dataDir, holder);
        }
        fs.rmSync(file, { force: true });
      }
    }
    throw new Error(`Could not lock DATA_DIR ${dataDir}`);
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}
