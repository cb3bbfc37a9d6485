/**
 * The permission table: every WebSocket method and every REST route, called by each kind of
 * principal on objects owned by "the owner", with the outcome protocol.md gives (1.1, 1.3):
 * a read-only token cannot change anything (FORBIDDEN), admin methods need the admin role
 * (FORBIDDEN), and another user's job, prompt or draft does not exist for it (NOT_FOUND).
 *
 * The rows are keyed by the server's own lists (the protocol methods, the OpenAPI document's
 * routes), so a method or route added without its row fails here. Each case gets fresh objects,
 * made so that the owner would succeed: a refusal is the principal's, never the object's state.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type MethodName, PROTOCOL_METHODS } from '#src/client/protocol';
import { TokensService } from '#src/modules/auth/tokens.service';
import { SkillsService } from '#src/modules/skills/skills.service';
import { e2eMode } from '../support/e2e-env';
import { createToken } from '../support/gateway';
import { sideEffectDir } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';

const PRINCIPALS = ['admin', 'adminReadOnly', 'owner', 'ownerReadOnly', 'otherUser'] as const;
type Who = (typeof PRINCIPALS)[number];
type Outcome = 'ok' | 'FORBIDDEN' | 'NOT_FOUND' | 'UNAUTHORIZED';
type Expected = Record<Who, Outcome>;

/** Anyone with a token. */
const ANYONE: Expected = {
  admin: 'ok',
  adminReadOnly: 'ok',
  owner: 'ok',
  ownerReadOnly: 'ok',
  otherUser: 'ok',
};
/** Reading the owner's object: admins and the owner; another user does not see it. */
const OWN_READ: Expected = { ...ANYONE, otherUser: 'NOT_FOUND' };
/** Changing the owner's object: writing admins and the owner; read-only tokens are refused first. */
const OWN_WRITE: Expected = {
  ...OWN_READ,
  adminReadOnly: 'FORBIDDEN',
  ownerReadOnly: 'FORBIDDEN',
};
/** Making something of one's own: every token that may write. */
const WRITE: Expected = { ...ANYONE, adminReadOnly: 'FORBIDDEN', ownerReadOnly: 'FORBIDDEN' };
const ADMIN_READ: Expected = {
  admin: 'ok',
  adminReadOnly: 'ok',
  owner: 'FORBIDDEN',
  ownerReadOnly: 'FORBIDDEN',
  otherUser: 'FORBIDDEN',
};
const ADMIN_WRITE: Expected = { ...ADMIN_READ, adminReadOnly: 'FORBIDDEN' };
/** Changing the owner's skill: skills are seen by everyone, so another user is FORBIDDEN. */
const OWN_SKILL_WRITE: Expected = { ...OWN_WRITE, otherUser: 'FORBIDDEN' };

const OWNER = 'perm-owner';

/** Objects made fresh for one case, owned by OWNER. */
interface Fixtures {
  /** A finished job. */
  job(): Promise<string>;
  /** A job waiting on an open `confirm` prompt. */
  waiting(): Promise<{ jobId: string; promptId: string }>;
  /** A failed job (it can be retried). */
  failed(): Promise<string>;
  /** A valid draft of a job, not promoted yet. */
  draft(): Promise<{ jobId: string; skillId: string }>;
  /** An active skill (version 1) promoted by the owner. */
  skill(): Promise<string>;
  /** An active token of someone else. */
  tokenId(): Promise<string>;
  /** A folder outside the skills root holding one valid skill. */
  importDir(): string;
}

interface WsRow {
  expected: Expected;
  payload: (make: Fixtures) => Promise<Record<string, unknown>> | Record<string, unknown>;
}

const CONFIRM_ANSWER = { action: 'proceed' };

/** One row per protocol method (the compiler and the first test both insist). */
const WS_TABLE: Record<MethodName, WsRow> = {
  ping: { expected: ANYONE, payload: () => ({}) },
  'auth.whoami': { expected: ANYONE, payload: () => ({}) },
  'jobs.create': {
    expected: WRITE,
    payload: () => ({
      workflow: 'test.steps',
      input: { steps: 1, sideEffectDir: sideEffectDir() },
    }),
  },
  'jobs.get': { expected: OWN_READ, payload: async (make) => ({ jobId: await make.job() }) },
  'jobs.list': { expected: ANYONE, payload: () => ({}) },
  'jobs.cancel': {
    expected: OWN_WRITE,
    payload: async (make) => ({ jobId: (await make.waiting()).jobId }),
  },
  'jobs.retry': { expected: OWN_WRITE, payload: async (make) => ({ jobId: await make.failed() }) },
  'jobs.rewind': {
    expected: OWN_WRITE,
    payload: async (make) => ({ jobId: await make.job(), toStep: 'step-1' }),
  },
  'jobs.steps': {
    expected: OWN_READ,
    payload: async (make) => ({ jobId: await make.job(), includeDiscarded: true }),
  },
  'jobs.subscribe': {
    expected: OWN_READ,
    payload: async (make) => ({ jobId: await make.job(), afterSeq: 0 }),
  },
  'jobs.unsubscribe': { expected: ANYONE, payload: async (make) => ({ jobId: await make.job() }) },
  'feed.subscribe': {
    expected: ANYONE,
    payload: () => ({ topics: ['jobs', 'prompts', 'skills'] }),
  },
  'prompts.list': { expected: ANYONE, payload: () => ({ status: 'open' }) },
  'prompts.answer': {
    expected: OWN_WRITE,
    payload: async (make) => ({
      promptId: (await make.waiting()).promptId,
      answer: CONFIRM_ANSWER,
    }),
  },
  'skills.list': { expected: ANYONE, payload: () => ({}) },
  'skills.get': {
    expected: OWN_READ,
    payload: async (make) => ({ skillId: (await make.draft()).skillId }),
  },
  'skills.validate': {
    expected: OWN_READ,
    payload: async (make) => ({ skillId: (await make.draft()).skillId }),
  },
  'skills.promote': {
    expected: OWN_WRITE,
    payload: async (make) => ({ jobId: (await make.draft()).jobId }),
  },
  'skills.xml': { expected: ANYONE, payload: () => ({}) },
  'skills.files': {
    expected: OWN_READ,
    payload: async (make) => ({ skillId: (await make.draft()).skillId }),
  },
  'skills.file': {
    expected: OWN_READ,
    payload: async (make) => ({ skillId: (await make.draft()).skillId, path: 'SKILL.md' }),
  },
  'skills.history': {
    expected: ANYONE,
    payload: async (make) => ({ skillId: await make.skill() }),
  },
  'skills.rollback': {
    expected: OWN_SKILL_WRITE,
    payload: async (make) => ({ skillId: await make.skill(), version: 1 }),
  },
  'skills.delete': {
    expected: OWN_SKILL_WRITE,
    payload: async (make) => ({ skillId: await make.skill() }),
  },
  'drafts.list': { expected: ANYONE, payload: () => ({}) },
  'drafts.delete': {
    expected: OWN_WRITE,
    payload: async (make) => ({ jobId: (await make.draft()).jobId }),
  },
  'tokens.create': { expected: ADMIN_WRITE, payload: () => ({ userId: 'someone', role: 'user' }) },
  'tokens.list': { expected: ADMIN_READ, payload: () => ({}) },
  'tokens.revoke': {
    expected: ADMIN_WRITE,
    payload: async (make) => ({ id: await make.tokenId() }),
  },
  'jobs.purge': { expected: ADMIN_WRITE, payload: () => ({ olderThanDays: 30 }) },
  'skills.import': { expected: ADMIN_WRITE, payload: (make) => ({ path: make.importDir() }) },
  'skills.reindex': { expected: ADMIN_WRITE, payload: () => ({}) },
  'system.status': { expected: ADMIN_READ, payload: () => ({}) },
};

/** REST adds a caller without a token; every route here needs one. */
type RestExpected = Expected & { noToken: Outcome };
const withoutToken = (expected: Expected): RestExpected => ({
  ...expected,
  noToken: 'UNAUTHORIZED',
});

interface RestRow {
  expected: RestExpected;
  request: (make: Fixtures) => Promise<{ path: string; body?: unknown }>;
}

/** One row per route of the OpenAPI document, keyed `METHOD /path` as the document names it. */
const REST_TABLE: Record<string, RestRow> = {
  'POST /api/v1/jobs': {
    expected: withoutToken(WRITE),
    request: async () => ({
      path: '/jobs',
      body: { workflow: 'test.steps', input: { steps: 1, sideEffectDir: sideEffectDir() } },
    }),
  },
  'GET /api/v1/jobs': { expected: withoutToken(ANYONE), request: async () => ({ path: '/jobs' }) },
  'GET /api/v1/jobs/{id}': {
    expected: withoutToken(OWN_READ),
    request: async (make) => ({ path: `/jobs/${await make.job()}` }),
  },
  'GET /api/v1/jobs/{id}/events': {
    expected: withoutToken(OWN_READ),
    request: async (make) => ({ path: `/jobs/${await make.job()}/events?afterSeq=0` }),
  },
  'POST /api/v1/jobs/{id}/cancel': {
    expected: withoutToken(OWN_WRITE),
    request: async (make) => ({ path: `/jobs/${(await make.waiting()).jobId}/cancel`, body: {} }),
  },
  'POST /api/v1/jobs/{id}/retry': {
    expected: withoutToken(OWN_WRITE),
    request: async (make) => ({ path: `/jobs/${await make.failed()}/retry`, body: {} }),
  },
  'POST /api/v1/jobs/{id}/rewind': {
    expected: withoutToken(OWN_WRITE),
    request: async (make) => ({
      path: `/jobs/${await make.job()}/rewind`,
      body: { toStep: 'step-1' },
    }),
  },
  'GET /api/v1/jobs/{id}/steps': {
    expected: withoutToken(OWN_READ),
    request: async (make) => ({ path: `/jobs/${await make.job()}/steps?includeDiscarded=true` }),
  },
  'GET /api/v1/prompts': {
    expected: withoutToken(ANYONE),
    request: async () => ({ path: '/prompts?status=open' }),
  },
  'POST /api/v1/prompts/{id}/answer': {
    expected: withoutToken(OWN_WRITE),
    request: async (make) => ({
      path: `/prompts/${(await make.waiting()).promptId}/answer`,
      body: { answer: CONFIRM_ANSWER },
    }),
  },
  'GET /api/v1/hitl/{jobId}/prompt': {
    expected: withoutToken(OWN_READ),
    request: async (make) => ({ path: `/hitl/${(await make.waiting()).jobId}/prompt` }),
  },
  'POST /api/v1/hitl/{jobId}/response': {
    expected: withoutToken(OWN_WRITE),
    request: async (make) => ({
      path: `/hitl/${(await make.waiting()).jobId}/response`,
      body: { answer: CONFIRM_ANSWER },
    }),
  },
  'GET /api/v1/skills': {
    expected: withoutToken(ANYONE),
    request: async () => ({ path: '/skills' }),
  },
  'POST /api/v1/skills/validate': {
    expected: withoutToken(OWN_READ),
    request: async (make) => ({
      path: '/skills/validate',
      body: { skillId: (await make.draft()).skillId },
    }),
  },
  'GET /api/v1/skills/{id}': {
    expected: withoutToken(OWN_READ),
    request: async (make) => ({ path: `/skills/${(await make.draft()).skillId}` }),
  },
  'GET /api/v1/skills/{id}/-/history': {
    expected: withoutToken(ANYONE),
    request: async (make) => ({ path: `/skills/${await make.skill()}/-/history` }),
  },
  'POST /api/v1/skills/{id}/-/rollback': {
    expected: withoutToken(OWN_SKILL_WRITE),
    request: async (make) => ({
      path: `/skills/${await make.skill()}/-/rollback`,
      body: { version: 1 },
    }),
  },
  'DELETE /api/v1/skills/{id}': {
    expected: withoutToken(OWN_SKILL_WRITE),
    request: async (make) => ({ path: `/skills/${await make.skill()}` }),
  },
  'GET /api/v1/drafts': {
    expected: withoutToken(ANYONE),
    request: async () => ({ path: '/drafts' }),
  },
  'DELETE /api/v1/drafts/{jobId}': {
    expected: withoutToken(OWN_WRITE),
    request: async (make) => ({ path: `/drafts/${(await make.draft()).jobId}` }),
  },
  'GET /api/v1/taxonomy/xml': {
    expected: withoutToken(ANYONE),
    request: async () => ({ path: '/taxonomy/xml' }),
  },
  'POST /api/v1/drafts/{jobId}/promote': {
    expected: withoutToken(OWN_WRITE),
    request: async (make) => ({ path: `/drafts/${(await make.draft()).jobId}/promote`, body: {} }),
  },
};

/** Public routes: no token needed, on purpose (health checks and metrics). */
const PUBLIC_ROUTES = new Set(['GET /health/live', 'GET /health/ready', 'GET /metrics']);

type Refusal = Exclude<Outcome, 'ok'>;

const HTTP_STATUS: Record<Refusal, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
};

const skillMd = (name: string) =>
  `---\nname: ${name}\ndescription: Checks who may do what. Use when testing permissions.\n---\n` +
  `# ${name}\n\n## When to Use\n\nWhen a permission is checked.\n`;

describe(`permissions (${e2eMode()} mode)`, () => {
  let server: TestServer;
  const clients = {} as Record<Who, WsTestClient>;
  const tokens = {} as Record<Who, string>;
  let counter = 0;
  const effects = sideEffectDir();
  const importRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-perm-import-'));

  const jobStatus = async (jobId: string): Promise<string> => {
    const reply = await clients.admin.request('jobs.get', { jobId });
    return (reply.payload?.job as { status: string }).status;
  };

  const createJob = async (workflow: string, input: Record<string, unknown>): Promise<string> => {
    const reply = await clients.owner.request('jobs.create', { workflow, input });
    if (!reply.ok) throw new Error(`jobs.create failed: ${JSON.stringify(reply.error)}`);
    return (reply.payload!.job as { id: string }).id;
  };

  const make: Fixtures = {
    async job() {
      const jobId = await createJob('test.steps', { steps: 1, sideEffectDir: effects });
      await waitFor(async () => (await jobStatus(jobId)) === 'completed');
      return jobId;
    },
    async waiting() {
      const jobId = await createJob('test.ask', {
        prompts: [{ kind: 'confirm', payload: { summary: 's', path: 'p', assumptions: [] } }],
        sideEffectDir: effects,
      });
      const promptId = await waitFor(async () => {
        const reply = await clients.admin.request('prompts.list', { jobId, status: 'open' });
        const [prompt] = reply.payload!.prompts as { id: string }[];
        return prompt?.id ?? false;
      });
      return { jobId, promptId };
    },
    async failed() {
      const jobId = await createJob('test.steps', {
        steps: 1,
        permanentOnceAt: 1,
        sideEffectDir: effects,
      });
      await waitFor(async () => (await jobStatus(jobId)) === 'failed');
      return jobId;
    },
    async draft() {
      const jobId = `perm-${++counter}`;
      const name = `perm-skill-${counter}`;
      await server.app.get(SkillsService).writeDraft(jobId, name, skillMd(name), {
        category: 'permissions',
        ownerId: OWNER,
      });
      return { jobId, skillId: `_drafts/${jobId}/${name}` };
    },
    async skill() {
      const { jobId } = await make.draft();
      const owner = { userId: OWNER, role: 'user', readOnly: false } as const;
      return (await server.app.get(SkillsService).promote(jobId, {}, owner)).id;
    },
    async tokenId() {
      return (await server.app.get(TokensService).create(`revoked-${++counter}`, 'user')).id;
    },
    importDir() {
      const name = `imported-${++counter}`;
      const dir = path.join(importRoot, `set-${counter}`);
      fs.mkdirSync(path.join(dir, 'permissions', name), { recursive: true });
      fs.writeFileSync(path.join(dir, 'permissions', name, 'SKILL.md'), skillMd(name));
      return dir;
    },
  };

  beforeAll(async () => {
    server = await startTestServer();
    clients.admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    tokens.admin = server.adminToken;
    const made: Record<Exclude<Who, 'admin'>, Promise<{ token: string }>> = {
      adminReadOnly: createToken(clients.admin, 'perm-auditor', 'admin', true),
      owner: createToken(clients.admin, OWNER, 'user'),
      ownerReadOnly: createToken(clients.admin, OWNER, 'user', true),
      otherUser: createToken(clients.admin, 'perm-other', 'user'),
    };
    for (const [who, token] of Object.entries(made) as [
      Exclude<Who, 'admin'>,
      Promise<{ token: string }>,
    ][]) {
      tokens[who] = (await token).token;
      clients[who] = await WsTestClient.connect(server.wsUrl, tokens[who]);
    }
  });
  afterAll(async () => {
    for (const client of Object.values(clients)) client?.close();
    await server?.stop();
    fs.rmSync(importRoot, { recursive: true, force: true });
  });

  describe('WebSocket', () => {
    it('has a row for every protocol method, and none for a method the server lacks', () => {
      expect(Object.keys(WS_TABLE).sort()).toEqual([...PROTOCOL_METHODS].sort());
    });

    const cases = Object.entries(WS_TABLE).flatMap(([method, row]) =>
      PRINCIPALS.map((who) => [method, who, row.expected[who]] as const),
    );
    it.each(cases)('%s as %s: %s', async (method, who, outcome) => {
      const payload = await WS_TABLE[method as MethodName].payload(make);
      const reply = await clients[who].request(method, payload);
      expect(reply.ok ? 'ok' : reply.error?.code).toBe(outcome);
    });

    it('refuses a refused change without changing anything', async () => {
      const { jobId, promptId } = await make.waiting();
      for (const who of ['ownerReadOnly', 'adminReadOnly', 'otherUser'] as const) {
        expect((await clients[who].request('jobs.cancel', { jobId })).ok).toBe(false);
        const answer = { promptId, answer: CONFIRM_ANSWER };
        expect((await clients[who].request('prompts.answer', answer)).ok).toBe(false);
      }
      expect(await jobStatus(jobId)).toBe('waiting');
    });

    it('reaches no method without a valid token: the upgrade closes with 4401', async () => {
      for (const token of [undefined, 'sf_not-a-token']) {
        const client = await WsTestClient.connect(server.wsUrl, token);
        await expect(client.closed).resolves.toEqual({ code: 4401, reason: 'unauthorized' });
        expect(client.replies).toHaveLength(0);
      }
    });
  });

  describe('REST', () => {
    it('has a row for every route of the OpenAPI document', async () => {
      const response = await fetch(`${server.httpUrl}/api/docs-json`);
      const document = (await response.json()) as { paths: Record<string, object> };
      const routes = Object.entries(document.paths).flatMap(([route, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`),
      );
      const documented = routes.filter((route) => !PUBLIC_ROUTES.has(route)).sort();
      expect(documented).toEqual(Object.keys(REST_TABLE).sort());
    });

    it("documents each refusal of the table among the route's OpenAPI responses", async () => {
      const response = await fetch(`${server.httpUrl}/api/docs-json`);
      const document = (await response.json()) as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      const undocumented = Object.entries(REST_TABLE).flatMap(([route, row]) => {
        const [method, target] = route.split(' ');
        const { responses } = document.paths[target][method.toLowerCase()];
        const refusals = new Set<Refusal>([
          'UNAUTHORIZED',
          ...Object.values(row.expected).filter((o): o is Refusal => o !== 'ok'),
        ]);
        return [...refusals]
          .map((refusal) => HTTP_STATUS[refusal])
          .filter((status) => !responses[status])
          .map((status) => `${route} ${status}`);
      });
      expect(undocumented).toEqual([]);
    });

    const cases = Object.entries(REST_TABLE).flatMap(([route, row]) =>
      [...PRINCIPALS, 'noToken' as const].map((who) => [route, who, row.expected[who]] as const),
    );
    it.each(cases)('%s as %s: %s', async (route, who, outcome) => {
      const { path: target, body } = await REST_TABLE[route].request(make);
      const method = route.split(' ')[0];
      const response = await fetch(`${server.httpUrl}/api/v1${target}`, {
        method,
        headers: {
          ...(who === 'noToken' ? {} : { authorization: `Bearer ${tokens[who]}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const reply = (await response.json()) as { code?: string };
      const expected =
        outcome === 'ok'
          ? { ok: true, code: undefined }
          : { ok: false, status: HTTP_STATUS[outcome], code: outcome };
      const seen = { ok: response.ok, code: reply.code };
      expect(outcome === 'ok' ? seen : { ...seen, status: response.status }).toEqual(expected);
    });
  });
});
