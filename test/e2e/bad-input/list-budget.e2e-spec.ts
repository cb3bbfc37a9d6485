import * as os from 'node:os';
import { LIST_BYTE_BUDGET } from '#src/common/list-page';
import { JobsService } from '#src/modules/jobs/jobs.service';
import { Prompt } from '#src/modules/hitl/prompt.entity';
import type { Principal } from '#src/modules/auth/principal';
import { DataSource } from 'typeorm';
import { e2eMode } from '#test/support/e2e-env';
import { jobFrames } from '#test/support/gateway';
import { restClient } from '#test/support/http';
import { waitFor } from '#test/support/wait-for';
import { startTestServer, TestServer } from '#test/support/test-server';
import { WsTestClient } from '#test/support/ws-test-client';

const ADMIN: Principal = { tokenId: 'test', userId: 'admin', role: 'admin', readOnly: false };
const PROMPTS = 12;
/** Each prompt's draft and answer: 12 prompts hold about 3.6 MB, several pages of the budget. */
const CONTENT = 150 * 1024;

interface Page {
  prompts: { id: string; payload: { content: string } }[];
  nextCursor: string | null;
}

describe(`list replies within a byte budget (${e2eMode()} mode)`, () => {
  let server: TestServer;
  const stored: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ worker: false });
    const job = await server.app
      .get(JobsService)
      .create(ADMIN, { workflow: 'test.steps', input: { steps: 1, sideEffectDir: os.tmpdir() } });
    const prompts = server.app.get(DataSource).getRepository(Prompt);
    for (let i = 0; i < PROMPTS; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      const row = await prompts.save(
        prompts.create({
          jobId: job.id,
          key: `preview#${i}`,
          kind: 'preview',
          status: 'answered',
          title: `Draft ${i}`,
          body: null,
          payload: { content: `${i}`.padEnd(CONTENT, 'd') },
          actions: ['approve', 'refine'],
          answer: { action: 'refine', content: `${i}`.padEnd(CONTENT, 'a') },
          answeredBy: 'admin',
          answeredAt: at,
          expiresAt: null,
          timeoutAction: 'cancel',
          createdAt: at,
          updatedAt: at,
        }),
      );
      stored.push(row.id);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('prompts.list pages stay within the budget and together hold every prompt once, in order', async () => {
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const before = client.replies.length;
      const reply = await client.request('prompts.list', {
        status: 'answered',
        ...(cursor === null ? {} : { cursor }),
      });
      expect(reply.ok).toBe(true);
      const page = reply.payload as unknown as Page;
      // One item may pass the budget alone; a page of several never does.
      const bytes = Buffer.byteLength(JSON.stringify(client.replies[before]));
      if (page.prompts.length > 1) expect(bytes).toBeLessThanOrEqual(LIST_BYTE_BUDGET + 4096);
      expect(page.prompts.length).toBeGreaterThan(0);
      seen.push(...page.prompts.map((prompt) => prompt.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 50);
    expect(seen).toEqual(stored);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil((PROMPTS * 2 * CONTENT) / LIST_BYTE_BUDGET));

    const small = await client.request('prompts.list', { status: 'answered', limit: 1 });
    expect((small.payload as unknown as Page).prompts.map((p) => p.id)).toEqual([stored[0]]);
    const forged = await client.request('prompts.list', { cursor: 'eyJhdCI6IngifQ' });
    expect(forged.error?.code).toBe('VALIDATION_FAILED');
    client.close();
  });

  /** `count` queued test.steps jobs of the admin, created at once. */
  const createJobs = (count: number): Promise<string[]> =>
    Promise.all(
      Array.from({ length: count }, async () => {
        const job = await server.app.get(JobsService).create(ADMIN, {
          workflow: 'test.steps',
          input: { steps: 1, sideEffectDir: os.tmpdir() },
        });
        return job.id;
      }),
    );

  /** Every page of a list method by cursor: the items' ids, and each page's size. */
  async function listAllPages(
    client: WsTestClient,
    method: 'jobs.list' | 'skills.list',
    payload: Record<string, unknown>,
  ) {
    const key = method === 'jobs.list' ? 'jobs' : 'skills';
    const ids: string[] = [];
    const sizes: { count: number; bytes: number }[] = [];
    let cursor: string | null = null;
    do {
      const before = client.replies.length;
      const reply = await client.request(method, {
        ...payload,
        ...(cursor === null ? {} : { cursor }),
      });
      expect(reply.ok).toBe(true);
      const page = reply.payload as unknown as Record<typeof key, { id: string }[]> & {
        nextCursor: string | null;
      };
      expect(page[key].length).toBeGreaterThan(0);
      ids.push(...page[key].map((item) => item.id));
      sizes.push({
        count: page[key].length,
        bytes: Buffer.byteLength(JSON.stringify(client.replies[before])),
      });
      cursor = page.nextCursor;
    } while (cursor !== null && sizes.length < 100);
    return { ids, sizes };
  }

  /** Each page is within the byte budget, unless it holds a single item. */
  const expectWithinBudget = (sizes: { count: number; bytes: number }[]) => {
    for (const { count, bytes } of sizes) {
      if (count > 1) expect(bytes).toBeLessThanOrEqual(LIST_BYTE_BUDGET + 4096);
    }
  };

  it('jobs.list pages through jobs created within one millisecond with no gap and no duplicate', async () => {
    const ids = await createJobs(40);
    // Many jobs in one millisecond, told apart only by microseconds (two pairs not even by those):
    // a cursor that kept milliseconds only would skip or repeat them.
    await server.app.get(DataSource).query(
      `UPDATE jobs SET status = 'cancelled', created_at = '2026-03-01T00:00:00.123Z'::timestamptz
         + ((array_position($1::uuid[], id) / 2) * interval '1 microsecond')
         WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const { ids: listed } = await listAllPages(client, 'jobs.list', {
      status: ['cancelled'],
      limit: 7,
    });
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...ids].sort());
    // Newest first: the larger microsecond first, and the larger id first within one.
    const position = (id: string) => Math.floor((ids.indexOf(id) + 1) / 2);
    for (let i = 1; i < listed.length; i++) {
      const [a, b] = [listed[i - 1], listed[i]];
      expect(position(a) > position(b) || (position(a) === position(b) && a > b)).toBe(true);
    }
    client.close();
  });

  it('jobs.list pages stay within the budget when inputs are large', async () => {
    const ids = await createJobs(10);
    // 10 inputs of 200 KB: about 2 MB in all, so at least two pages even at the largest limit.
    await server.app.get(DataSource).query(
      `UPDATE jobs SET status = 'failed', input = jsonb_build_object('pad', repeat('i', 200000))
           WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const { ids: listed, sizes } = await listAllPages(client, 'jobs.list', {
      status: ['failed'],
      limit: 200,
    });
    expect([...listed].sort()).toEqual([...ids].sort());
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    expectWithinBudget(sizes);
    client.close();
  });

  it('skills.history pages by cursor, oldest first, with every version once', async () => {
    const VERSIONS = 30;
    await server.app.get(DataSource).query(
      `INSERT INTO skill_versions (skill_id, version, action, created_by, checksum, validation)
         SELECT 'tools/paged-history', n, 'import', 'admin', md5(n::text),
                '{"valid": true, "errors": [], "warnings": []}'::jsonb
           FROM generate_series(1, $1::int) AS n`,
      [VERSIONS],
    );
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply = await client.request('skills.history', {
        skillId: 'tools/paged-history',
        limit: 7,
        ...(cursor === null ? {} : { cursor }),
      });
      expect(reply.ok).toBe(true);
      const page = reply.payload as unknown as {
        versions: { version: number }[];
        nextCursor: string | null;
      };
      expect(page.versions.length).toBeLessThanOrEqual(7);
      seen.push(...page.versions.map((v) => v.version));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 20);
    expect(seen).toEqual(Array.from({ length: VERSIONS }, (_, i) => i + 1));
    expect(pages).toBe(Math.ceil(VERSIONS / 7));
    const forged = await client.request('skills.history', {
      skillId: 'tools/paged-history',
      cursor: 'eyJhZnRlciI6LTF9',
    });
    expect(forged.error?.code).toBe('VALIDATION_FAILED');
    client.close();
  });

  it('drafts.list pages by cursor, newest first, with every draft once', async () => {
    const DRAFTS = 25;
    // Drafts within one millisecond, as with jobs: the cursor keeps microseconds.
    await server.app.get(DataSource).query(
      `INSERT INTO drafts (job_id, name, category, owner_id, created_at)
         SELECT 'paged-draft-' || lpad(n::text, 2, '0'), 'paged-draft', 'tools', 'admin',
                '2026-03-02T00:00:00.456Z'::timestamptz + ((n / 2) * interval '1 microsecond')
           FROM generate_series(1, $1::int) AS n`,
      [DRAFTS],
    );
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply = await client.request('drafts.list', {
        limit: 6,
        ...(cursor === null ? {} : { cursor }),
      });
      expect(reply.ok).toBe(true);
      const page = reply.payload as unknown as {
        drafts: { jobId: string }[];
        nextCursor: string | null;
      };
      expect(page.drafts.length).toBeLessThanOrEqual(6);
      seen.push(...page.drafts.map((d) => d.jobId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 20);
    const ours = seen.filter((id) => id.startsWith('paged-draft-'));
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first (the larger microsecond), then the larger id.
    const expected = Array.from({ length: DRAFTS }, (_, i) => i + 1)
      .sort((a, b) => Math.floor(b / 2) - Math.floor(a / 2) || b - a)
      .map((n) => `paged-draft-${String(n).padStart(2, '0')}`);
    expect(ours).toEqual(expected);
    const forged = await client.request('drafts.list', { cursor: 'eyJhdCI6IngifQ' });
    expect(forged.error?.code).toBe('VALIDATION_FAILED');
    client.close();
  });

  it('skills.list pages by id and by relevance within the budget, with every skill once', async () => {
    const SKILLS = 25;
    const db = server.app.get(DataSource);
    // 150 KB descriptions (about 3.7 MB in all); 1 to 4 of the search word, so ranks differ and tie.
    await db.query(
      `INSERT INTO skills (id, name, description, category, path, status, version, checksum,
                           validation, body)
         SELECT 'paged/skill-' || lpad(n::text, 2, '0'), 'skill-' || lpad(n::text, 2, '0'),
                repeat('pagedword ', n % 4 + 1) || repeat('lorem ', 25000), 'paged',
                '/nowhere/' || n, 'active', '1.0', md5(n::text),
                '{"valid": true, "errors": [], "warnings": []}'::jsonb, ''
           FROM generate_series(1, $1::int) AS n`,
      [SKILLS],
    );
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const expected = Array.from(
      { length: SKILLS },
      (_, i) => `paged/skill-${String(i + 1).padStart(2, '0')}`,
    );

    const byId = await listAllPages(client, 'skills.list', { category: 'paged', limit: 200 });
    expect(byId.ids).toEqual(expected);
    expect(byId.sizes.length).toBeGreaterThanOrEqual(3); // the budget cut the pages, not the limit
    expectWithinBudget(byId.sizes);

    // By relevance, in pages of 4: the same order as one ranked query, each skill once.
    const ranked = await db.query<{ id: string }[]>(
      `SELECT id FROM skills WHERE search @@ websearch_to_tsquery('english', 'pagedword')
        ORDER BY ts_rank(search, websearch_to_tsquery('english', 'pagedword')) DESC, id`,
    );
    const byRank = await listAllPages(client, 'skills.list', { query: 'pagedword', limit: 4 });
    expect(byRank.sizes.every((page) => page.count <= 4)).toBe(true);
    expect(byRank.ids).toEqual(ranked.map((row) => row.id));
    expect([...byRank.ids].sort()).toEqual(expected);

    // A cursor from a list by id does not go on a search; a forged one is refused too.
    const idCursor = (await client.request('skills.list', { category: 'paged', limit: 1 })).payload!
      .nextCursor as string;
    for (const cursor of [idCursor, 'WyIwLjUiLCJ4XG4iXQ']) {
      const refused = await client.request('skills.list', { query: 'pagedword', cursor });
      expect(refused.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'payload.cursor', message: 'is not a cursor this server issued' }],
      });
    }
    const overLimit = await client.request('skills.list', { limit: 201 });
    expect(overLimit.error?.code).toBe('VALIDATION_FAILED');
    client.close();
    await db.query(`DELETE FROM skills WHERE category = 'paged'`);
  });

  it('event pages stay within the budget; REST readers and job streams still get every event', async () => {
    const [jobId] = await createJobs(1);
    const EVENTS = 12;
    // Log entries of 150 KB each after job.created: about 1.8 MB of payloads.
    await server.app.get(DataSource).query(
      `WITH added AS (
         INSERT INTO job_events (job_id, seq, type, payload)
           SELECT $1, n, 'job.log', jsonb_build_object('level', 'info', 'message', repeat('m', 150000))
             FROM generate_series(2, $2::int) AS n)
       UPDATE jobs SET last_seq = $2 WHERE id = $1`,
      [jobId, EVENTS + 1],
    );
    const rest = restClient(server.httpUrl, server.adminToken);
    const seqs: number[] = [];
    let pages = 0;
    for (;;) {
      const { status, body } = await rest.get(
        `/jobs/${jobId}/events?afterSeq=${seqs.at(-1) ?? 0}&limit=1000`,
      );
      expect(status).toBe(200);
      const events = body.events as { seq: number }[];
      if (events.length > 1) {
        expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(
          LIST_BYTE_BUDGET + 4096,
        );
      }
      expect(events.length).toBeGreaterThan(0);
      seqs.push(...events.map((event) => event.seq));
      pages++;
      if (seqs.at(-1)! >= (body.lastSeq as number) || pages > 50) break;
    }
    expect(seqs).toEqual(Array.from({ length: EVENTS + 1 }, (_, i) => i + 1));
    expect(pages).toBeGreaterThanOrEqual(2);

    // The job stream replays the log in budgeted pages too, and goes on to lastSeq.
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const reply = await client.request('jobs.subscribe', { jobId, afterSeq: 0 });
    expect(reply.payload!.lastSeq).toBe(EVENTS + 1);
    await waitFor(() => jobFrames(client, jobId).length === EVENTS + 1, { timeoutMs: 30_000 });
    expect(jobFrames(client, jobId).map((frame) => frame.seq)).toEqual(seqs);
    client.close();
  });
});
