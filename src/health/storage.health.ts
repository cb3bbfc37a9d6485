import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AppConfig } from '../config/app-config';

/**
 * Storage is up when a file can be created and removed in DATA_DIR and in SKILLS_ROOT: a real
 * write, since permission bits say nothing about a read-only or full disk (or to root).
 */
@Injectable()
export class StorageHealthIndicator {
  constructor(
    private readonly config: AppConfig,
    private readonly health: HealthIndicatorService,
  ) {}

  async check(key = 'storage') {
    const indicator = this.health.check(key);
    const folders = { dataDir: this.config.dataDir, skillsRoot: this.config.skillsRoot };
    const problems: string[] = [];
    for (const [name, dir] of Object.entries(folders)) {
      const problem = await writeProblem(dir);
      if (problem) problems.push(`${name} ${dir} is not writable: ${problem}`);
    }
    return problems.length === 0
      ? indicator.up(folders)
      : indicator.down({ ...folders, message: problems.join('; ') });
  }
}

async function writeProblem(dir: string): Promise<string | undefined> {
  const probe = path.join(dir, `.health-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    // A folder not made yet is made as the first write into it would make it.
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(probe, '', { flag: 'wx', mode: 0o600 });
    await fs.rm(probe, { force: true });
    return undefined;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return message || code;
  }
}
