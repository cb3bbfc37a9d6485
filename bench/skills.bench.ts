/**
 * Skills: validate and index generated skills, then search them. Uses the embedded PGlite, or a
 * throw-away database on the Postgres of DATABASE_URL when that is set.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../src/config/app-config';
import { createDataSource } from '../src/database/data-source';
import { EmbeddedPostgres } from '../src/database/embedded-postgres';
import { runMigrationsLocked } from '../src/database/migrator';
import { Skill } from '../src/modules/skills/skill.entity';
import { SkillStore } from '../src/modules/skills/skill-store';
import { SkillsService } from '../src/modules/skills/skills.service';
import { validateSkillDir } from '../src/modules/skills/validator';
import type { BenchRow } from './bench-row';
import { percentile } from './support';

const CATEGORIES = 20;
/** Folders validated at once, as many as reindex reads at once. */
const IN_FLIGHT = 16;
/** Body words are `w0`…`w1999`: each one occurs in about 6 % of the skills. */
const BODY_WORDS = 2000;
/** Searches run before timing starts (connection and plan caches, JIT). */
const WARMUP_QUERIES = 20;
/** Words for names and descriptions. */
const VOCABULARY = (
  'cache queue retry schema index token stream parser cluster shard lambda socket buffer thread ' +
  'mutex lease ledger pixel vector tensor router widget kernel driver bundle plugin webhook ' +
  'cookie session locale matrix graph tree heap stack cursor snapshot replica backup archive'
).split(' ');
/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so every run indexes the same tree. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Writes `count` skills under `root`; each body has a unique word `uniq<i>` and common words. */
function generateTaxonomy(root: string, count: number): void {
  const next = random(42);
  const pick = () => VOCABULARY[Math.floor(next() * VOCABULARY.length)];
  const word = () => `w${Math.floor(next() * BODY_WORDS)}`;
  for (let i = 0; i < count; i++) {
    const category = `category-${i % CATEGORIES}`;
    const name = `skill-${i}-${pick()}`;
    const dir = path.join(root, category, name);
    fs.mkdirSync(path.join(dir, 'references'), { recursive: true });
    const prose = Array.from({ length: 12 }, () => Array.from({ length: 10 }, word).join(' ')).join(
      '.\n',
    );
    fs.writeFileSync(
      path.join(dir, 'SKILL.md'),
      [
        '---',
        `name: ${name}`,
        `description: Handles ${pick()} and ${pick()} work. Use when the user asks about ${pick()}.`,
        'license: MIT',
        'metadata:',
        `  version: "1.${i % 10}.0"`,
        `  tags: ${pick()}, ${pick()}`,
        '---',
        `# Skill ${i}`,
        '',
        '## When to Use',
        '',
        `When uniq${i} comes up.`,
        '',
        '## Quick Start',
        '',
        '```bash',
        `run --${pick()} --${pick()}`,
        '```',
        '',
        prose,
        '',
        'See [details](references/details.md).',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'references', 'details.md'), `# Details\n\n${prose}\n`);
  }
}

const rate = (count: number, ms: number): string => `${Math.round((count / ms) * 1000)} skills/s`;
const millis = (ms: number): string => `${ms.toFixed(2)} ms`;

/** A migrated database for the run, on `serverUrl` or embedded, removed afterwards. */
async function withDatabase<T>(
  serverUrl: string | undefined,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-bench-skills-db-'));
  const embedded = serverUrl ? undefined : await EmbeddedPostgres.start(dataDir);
  const database = `sf_bench_skills_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  let url = embedded?.url;
  if (serverUrl) {
    await admin(`CREATE DATABASE ${database}`);
    const parsed = new URL(serverUrl);
    parsed.pathname = `/${database}`;
    url = parsed.toString();
  }
  try {
    const dataSource = await createDataSource(url!).initialize();
    try {
      await runMigrationsLocked(dataSource);
      return await work(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await embedded?.stop();
    if (serverUrl) await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runSkillsBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const count = opts.quick ? 200 : 2000;
  const searches = opts.quick ? 100 : 500;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-bench-skills-'));
  try {
    const root = path.join(work, 'skills');
    generateTaxonomy(root, count);
    const { skills } = await new SkillStore(root).walk();

    const validateStart = performance.now();
    for (let i = 0; i < skills.length; i += IN_FLIGHT) {
      const reports = await Promise.all(
        skills.slice(i, i + IN_FLIGHT).map((skill) => validateSkillDir(skill.dir)),
      );
      const invalid = reports.find((report) => !report.valid);
      if (invalid) throw new Error(`generated skill is invalid: ${invalid.errors[0].message}`);
    }
    const validateMs = performance.now() - validateStart;

    const serverUrl = AppConfig.fromEnvironment().databaseUrl;
    return await withDatabase(serverUrl, async (dataSource) => {
      const service = new SkillsService(dataSource.getRepository(Skill), new SkillStore(root));
      const indexStart = performance.now();
      const { indexed } = await service.reindex();
      const indexMs = performance.now() - indexStart;
      if (indexed !== count) throw new Error(`indexed ${indexed} of ${count} skills`);

      // half the queries hit one skill (a word unique to its body), half a body word
      const next = random(7);
      const queries = Array.from({ length: searches }, (_, i) =>
        i % 2 === 0 ? `uniq${Math.floor(next() * count)}` : `w${Math.floor(next() * BODY_WORDS)}`,
      );
      const timed = async (search: (query: string) => Promise<unknown>) => {
        for (const query of queries.slice(0, WARMUP_QUERIES)) await search(query);
        const times: number[] = [];
        for (const query of queries) {
          const start = performance.now();
          await search(query);
          times.push(performance.now() - start);
        }
        return times.sort((a, b) => a - b);
      };
      const ours = await timed((query) => service.list({ query }));
      // the baseline: a plain substring scan returning the same columns, one page as skills.list
      // (its default limit, and one more row to know that a next page exists)
      const scan = await timed((query) =>
        dataSource.query(
          `SELECT id, name, description, category, path, status, version, tags, checksum,
                  validation, owner_id, created_at, updated_at
             FROM skills WHERE name ILIKE $1 OR description ILIKE $1 OR body ILIKE $1 ORDER BY id
            LIMIT 101`,
          [`%${query}%`],
        ),
      );
      const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
      const where = serverUrl ? 'Postgres' : 'embedded PGlite';
      return [
        {
          name: `skills: validator alone (${count} skills)`,
          ours: rate(count, validateMs),
          note: `validateSkillDir, default mode, ${IN_FLIGHT} folders at a time`,
        },
        {
          name: `skills: full reindex (${count} skills)`,
          ours: rate(count, indexMs),
          baseline: rate(count, validateMs),
          ratio: ratio(validateMs, indexMs),
          note: `walk + validate + upsert into ${where}; baseline = validator alone`,
        },
        {
          name: `skills: search p50 (${searches} queries)`,
          ours: millis(percentile(ours, 0.5)),
          baseline: millis(percentile(scan, 0.5)),
          ratio: ratio(percentile(ours, 0.5), percentile(scan, 0.5)),
          note: 'websearch_to_tsquery + ts_rank; baseline = ILIKE substring scan of name/description/body',
        },
        {
          name: `skills: search p99 (${searches} queries)`,
          ours: millis(percentile(ours, 0.99)),
          baseline: millis(percentile(scan, 0.99)),
          ratio: ratio(percentile(ours, 0.99), percentile(scan, 0.99)),
          note: 'half the queries match one skill, half about 6 % of them',
        },
      ];
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
