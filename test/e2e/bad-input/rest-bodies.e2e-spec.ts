import { e2eMode } from '#test/support/e2e-env';
import { restClient } from '#test/support/http';
import type { Rest } from '#test/support/jobs';
import { startTestServer, TestServer } from '#test/support/test-server';
import { WsTestClient } from '#test/support/ws-test-client';
import { StoredState, storedState } from './stored-state';

const MISSING_ID = '00000000-0000-4000-8000-000000000000';
const STACK_LINE = /\n\s+at /;

/**
 * REST bodies, queries and path ids that must be refused: each answer is the protocol's error body
 * (`{statusCode, code, message, details?}`, no stack), and nothing is stored.
 */
describe(`bad REST bodies and queries (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  let before: StoredState;

  /** A request with a raw body (not necessarily JSON). */
  const send = async (method: string, route: string, body?: string, type = 'application/json') => {
    const response = await fetch(`${server.httpUrl}/api/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': type },
      body,
    });
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await startTestServer({ worker: false });
    rest = restClient(server.httpUrl, server.adminToken);
  });
  beforeEach(async () => {
    before = await storedState(server);
  });
  afterEach(async () => {
    expect(await storedState(server)).toEqual(before);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each([
    ['an unknown workflow', { workflow: 'nope', input: {} }, 'payload.workflow'],
    ['a bad input', { workflow: 'test.steps', input: { steps: 0 } }, 'payload.input.steps'],
    [
      'an oversize input',
      { workflow: 'test.steps', input: { steps: 1, sideEffectDir: 'x', pad: 'x'.repeat(300000) } },
      'payload.input',
    ],
    ['an unknown field', { workflow: 'test.steps', input: {}, extra: 1 }, 'extra'],
    [
      'an unknown skill.create option',
      { workflow: 'skill.create', input: { task: 'x', options: { bogus: true } } },
      'payload.input.options.bogus',
    ],
    [
      'a skill.create task over 10000 characters',
      { workflow: 'skill.create', input: { task: 'x'.repeat(10001) } },
      'payload.input.task',
    ],
  ])('refuses jobs.create with %s, over REST and WS alike', async (_label, payload, field) => {
    const viaRest = await rest.post('/jobs', payload);
    expect(viaRest.status).toBe(400);
    expect(viaRest.body.code).toBe('VALIDATION_FAILED');
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const reply = await client.request('jobs.create', payload);
    client.close();
    expect(reply.error?.code).toBe('VALIDATION_FAILED');
    const fields = (reply.error?.details as { field: string }[]).map((d) => d.field);
    expect(fields.some((f) => f.endsWith(field))).toBe(true);
  });

  it('answers a bad cursor with VALIDATION_FAILED and an unknown id with NOT_FOUND', async () => {
    expect((await rest.get('/jobs?cursor=garbage')).body.code).toBe('VALIDATION_FAILED');
    expect((await rest.get('/jobs/not-a-uuid')).status).toBe(404);
    const missing = await rest.get(`/jobs/${MISSING_ID}`);
    expect(missing).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    const reply = await client.request('jobs.get', { jobId: MISSING_ID });
    client.close();
    expect(reply.error?.code).toBe('NOT_FOUND');
  });

  it.each([
    ['broken JSON', '{"workflow": "skill.create", "input": {'],
    ['a JSON array', '[{"workflow": "skill.create", "input": {"task": "x"}}]'],
    ['a JSON string', '"skill.create"'],
    ['nothing', ''],
  ])('refuses a body that is %s with VALIDATION_FAILED', async (_label, body) => {
    const result = await send('POST', '/jobs', body);
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(result.body.message).toEqual(expect.any(String));
    expect(result.text).not.toMatch(STACK_LINE);
  });

  it('refuses a body that is not JSON at all (text/plain)', async () => {
    const result = await send('POST', '/jobs', 'workflow=skill.create', 'text/plain');
    expect(result).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('answers a body over WS_MAX_PAYLOAD with 413 before reading it', async () => {
    const body = JSON.stringify({ workflow: 'skill.create', input: { task: 'x'.repeat(1100000) } });
    const result = await send('POST', '/jobs', body);
    expect(result).toMatchObject({
      status: 413,
      body: { statusCode: 413, code: 'VALIDATION_FAILED' },
    });
  });

  it('refuses a body nested thousands of levels deep with VALIDATION_FAILED, not INTERNAL', async () => {
    const depth = 5000;
    const body = `{"workflow":"skill.create","input":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    for (const route of ['/jobs', `/prompts/${MISSING_ID}/answer`, '/skills/validate']) {
      const result = await send('POST', route, body);
      expect({ route, ...result.body }).toMatchObject({
        route,
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        details: [{ field: 'body', message: 'nests deeper than 32 levels' }],
      });
    }
  });

  it('does not let a __proto__ key reach any prototype', async () => {
    const body =
      '{"__proto__": {"polluted": true}, "workflow": "nope", "input": {"__proto__": {"x": 1}}}';
    const result = await send('POST', '/jobs', body);
    expect(result).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each([
    [
      'events with a negative afterSeq',
      'GET',
      `/jobs/${MISSING_ID}/events?afterSeq=-1`,
      'afterSeq',
    ],
    [
      'events with a limit that is not a number',
      'GET',
      `/jobs/${MISSING_ID}/events?limit=abc`,
      'limit',
    ],
    ['jobs with an unknown status', 'GET', '/jobs?status=bogus', 'status'],
    ['jobs with a limit of 0', 'GET', '/jobs?limit=0', 'limit'],
    ['prompts with an unknown status', 'GET', '/prompts?status=bogus', 'status'],
    ['an answer without `answer`', 'POST', `/prompts/${MISSING_ID}/answer`, 'answer'],
    ['a promotion with overwrite "yes"', 'POST', `/drafts/${MISSING_ID}/promote`, 'overwrite'],
    ['a skill id that climbs out of the root', 'GET', '/skills/..%2F..%2Fetc%2Fpasswd', 'skillId'],
    ['a validation with neither skillId nor content', 'POST', '/skills/validate', 'skillId'],
  ])('refuses %s, naming the field', async (_label, method, route, field) => {
    const body = route.endsWith('/promote')
      ? '{"overwrite": "yes"}'
      : method === 'POST'
        ? '{}'
        : undefined;
    const result = await send(method, route, body);
    expect(result.status).toBe(400);
    expect(result.body.code).toBe('VALIDATION_FAILED');
    expect((result.body.details as { field: string }[]).map((d) => d.field)).toContain(field);
  });

  it('answers ids that are not UUIDs with NOT_FOUND on every route that takes one', async () => {
    for (const [method, route] of [
      ['GET', '/jobs/zzz/events'],
      ['POST', '/jobs/zzz/cancel'],
      ['POST', '/jobs/zzz/retry'],
      ['POST', '/prompts/zzz/answer'],
      ['POST', '/drafts/zzz/promote'],
    ]) {
      const body = route.endsWith('/answer')
        ? '{"answer": {}}'
        : method === 'POST'
          ? '{}'
          : undefined;
      const result = await send(method, route, body);
      expect({ route, status: result.status, code: result.body.code }).toEqual({
        route,
        status: 404,
        code: 'NOT_FOUND',
      });
    }
  });
});
