import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { restClient } from './http';
import { startTestServer, TestServer, TestServerOptions } from './test-server';
import type { StepsInput } from './test-workflows';
import { waitFor } from './wait-for';

export type Rest = ReturnType<typeof restClient>;

export const sideEffectDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sf-effects-'));

export async function createStepsJob(rest: Rest, input: StepsInput): Promise<string> {
  const created = await rest.post('/jobs', { workflow: 'test.steps', input });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  return created.body.job.id as string;
}

/** Waits for the job to reach `status` and returns it. */
export async function waitForStatus(rest: Rest, jobId: string, status: string, timeoutMs = 20000) {
  return waitFor(
    async () => {
      const { body } = await rest.get(`/jobs/${jobId}`);
      return body.job.status === status ? body.job : false;
    },
    { timeoutMs },
  );
}

export async function allEvents(rest: Rest, jobId: string) {
  const { body } = await rest.get(`/jobs/${jobId}/events?afterSeq=0&limit=1000`);
  return body.events as { seq: number; type: string; payload: Record<string, unknown> }[];
}

/** Every seq from 1 up, none missing or repeated. */
export const expectGapless = (events: { seq: number }[]) =>
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));

/** The steps a job logged as completed, in log order. */
export const completedSteps = (events: { type: string; payload: Record<string, unknown> }[]) =>
  events.filter((e) => e.type === 'step.completed').map((e) => e.payload.step);

/** A test server for the whole suite (started before it, stopped after it) and its admin client. */
export function suiteServer(options: TestServerOptions = {}): { server: TestServer; rest: Rest } {
  const suite = {} as { server: TestServer; rest: Rest };
  beforeAll(async () => {
    suite.server = await startTestServer(options);
    suite.rest = restClient(suite.server.httpUrl, suite.server.adminToken);
  });
  afterAll(async () => {
    await suite.server?.stop();
  });
  return suite;
}
