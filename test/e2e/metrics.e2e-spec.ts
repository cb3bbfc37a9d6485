import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { allEvents, createStepsJob, Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import type { AskInput } from '../support/test-workflows';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';

/** The value of one sample, e.g. `skill_fleet_jobs{status="completed"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe(`GET /metrics (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;

  beforeAll(async () => {
    server = await startTestServer();
    rest = restClient(server.httpUrl, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const scrape = async (): Promise<string> => {
    const response = await fetch(`${server.httpUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    return response.text();
  };

  it('counts jobs, finished steps, answered prompts, events and open sockets', async () => {
    const effects = sideEffectDir();
    const stepsJob = await createStepsJob(rest, { steps: 3, sideEffectDir: effects });
    await waitForStatus(rest, stepsJob, 'completed');

    const input: AskInput = {
      prompts: [{ kind: 'confirm', payload: { summary: 'A skill', path: 'a/b', assumptions: [] } }],
      sideEffectDir: effects,
    };
    const askJob = (await rest.post('/jobs', { workflow: 'test.ask', input })).body.job
      .id as string;
    const prompt = await waitFor(async () => {
      const { body } = await rest.get(`/prompts?status=open&jobId=${askJob}`);
      return body.prompts[0] ?? false;
    });
    const waiting = await scrape();
    expect(sample(waiting, 'skill_fleet_prompts_open{kind="confirm"}')).toBe(1);
    expect(
      sample(waiting, 'skill_fleet_prompt_oldest_open_age_seconds{kind="confirm"}'),
    ).toBeGreaterThanOrEqual(0);

    await rest.post(`/prompts/${prompt.id}/answer`, { answer: { action: 'proceed' } });
    await waitForStatus(rest, askJob, 'completed');

    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    try {
      const text = await scrape();
      expect(sample(text, 'skill_fleet_jobs{status="completed"}')).toBe(2);
      expect(sample(text, 'skill_fleet_jobs{status="failed"}')).toBe(0);
      // test.steps ran 3 steps, test.ask one step before its prompt.
      expect(sample(text, 'skill_fleet_step_duration_seconds_count{status="completed"}')).toBe(4);
      expect(
        sample(text, 'skill_fleet_step_duration_seconds_bucket{status="completed",le="+Inf"}'),
      ).toBe(4);
      expect(sample(text, 'skill_fleet_prompt_wait_seconds_count{kind="confirm"}')).toBe(1);
      expect(sample(text, 'skill_fleet_prompts_open{kind="confirm"}')).toBeUndefined();
      const events =
        (await allEvents(rest, stepsJob)).length + (await allEvents(rest, askJob)).length;
      expect(sample(text, 'skill_fleet_job_events_total')).toBe(events);
      expect(sample(text, 'skill_fleet_ws_connections')).toBe(1);
      expect(sample(text, 'skill_fleet_queue_jobs{state="waiting"}')).toBe(0);
      expect(sample(text, 'skill_fleet_process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      client.socket.close();
    }
  });
});
