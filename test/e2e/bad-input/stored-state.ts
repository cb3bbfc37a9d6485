import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import type { TestServer } from '#test/support/test-server';

/**
 * What a refused input must leave as it was: the rows of every table a request can write, and the
 * files under SKILLS_ROOT. Taken before and after each bad input, the two must be equal.
 */
export interface StoredState {
  rows: Record<string, number>;
  files: string[];
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

export async function storedState(server: TestServer): Promise<StoredState> {
  const [rows] = await server.app.get(DataSource).query(
    `SELECT (SELECT count(*) FROM jobs)::int AS jobs, (SELECT count(*) FROM job_events)::int AS events,
            (SELECT count(*) FROM job_steps)::int AS steps, (SELECT count(*) FROM hitl_prompts)::int AS prompts,
            (SELECT count(*) FROM skills)::int AS skills, (SELECT count(*) FROM tokens)::int AS tokens`,
  );
  return { rows: rows as Record<string, number>, files: filesUnder(server.config.skillsRoot) };
}
