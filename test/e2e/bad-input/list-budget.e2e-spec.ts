import * as os from 'node:os';
import { LIST_BYTE_BUDGET } from '../../../src/common/list-page';
import { JobsService } from '../../../src/modules/jobs/jobs.service';
import { Prompt } from '../../../src/modules/hitl/prompt.entity';
import type { Principal } from '../../../src/modules/auth/principal';
import { DataSource } from 'typeorm';
import { e2eMode } from '../../support/e2e-env';
import { startTestServer, TestServer } from '../../support/test-server';
import { WsTestClient } from '../../support/ws-test-client';

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
});
