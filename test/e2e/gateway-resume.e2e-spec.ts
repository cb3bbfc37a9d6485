import { e2eMode } from '../support/e2e-env';
import { createToken, FINAL_EVENTS, jobFrames, untilFinal } from '../support/gateway';
import { restClient } from '../support/http';
import { allEvents, Rest, sideEffectDir } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { random } from '../support/random';
import { WsTestClient } from '../support/ws-test-client';

const RUNS = 100;
const CONCURRENT = 10;
const STEPS = 20;

interface RunResult {
  stayed: number[];
  resumed: number[];
  stored: number[];
  /** Resubscriptions made while the job was still running. */
  midJob: number;
  resumes: number;
}

describe(`gateway resume (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  let token: string;
  const effects = sideEffectDir();
  const seed = Number(process.env.RESUME_SEED ?? Date.now() % 100000);

  beforeAll(async () => {
    server = await startTestServer({ env: { WORKER_CONCURRENCY: String(CONCURRENT) } });
    rest = restClient(server.httpUrl, server.adminToken);
    const admin = await WsTestClient.connect(server.wsUrl, server.adminToken);
    token = (await createToken(admin, 'resumer')).token;
    admin.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /**
   * One run: a job of STEPS 0-ms steps; subscriber A stays connected, subscriber B drops its socket
   * once or twice after a random number of events and resubscribes from the last seq it saw.
   */
  async function run(index: number): Promise<RunResult> {
    const next = random(seed + index);
    const stayer = await WsTestClient.connect(server.wsUrl, token);
    const created = await stayer.request('jobs.create', {
      workflow: 'test.steps',
      input: { steps: STEPS, stepMs: 0, sideEffectDir: effects },
    });
    const jobId = (created.payload!.job as { id: string }).id;
    await stayer.request('jobs.subscribe', { jobId, afterSeq: 0 });

    const resumed: number[] = [];
    let lastSeq = 0;
    let midJob = 0;
    const drops = 1 + Math.floor(next() * 2);
    for (let drop = 0; drop <= drops; drop++) {
      const mover = await WsTestClient.connect(server.wsUrl, token);
      const reply = await mover.request('jobs.subscribe', { jobId, afterSeq: lastSeq });
      if (
        drop > 0 &&
        !['completed', 'failed', 'cancelled'].includes(
          (reply.payload!.job as { status: string }).status,
        )
      ) {
        midJob++;
      }
      if (drop < drops) {
        const wanted = 1 + Math.floor(next() * 15);
        await waitFor(
          () =>
            jobFrames(mover, jobId).length >= wanted ||
            jobFrames(mover, jobId).some((frame) => FINAL_EVENTS.has(frame.event)),
          { timeoutMs: 20000, intervalMs: 2 },
        );
        if (next() < 0.5) mover.socket.terminate();
        else mover.close();
        await mover.closed;
      } else {
        await untilFinal(mover, jobId);
        mover.close();
      }
      const seen = jobFrames(mover, jobId).map((frame) => frame.seq!);
      resumed.push(...seen);
      lastSeq = seen.at(-1) ?? lastSeq;
    }
    const stayed = (await untilFinal(stayer, jobId)).map((frame) => frame.seq!);
    stayer.close();
    const stored = (await allEvents(rest, jobId)).map((event) => event.seq);
    return { stayed, resumed, stored, midJob, resumes: drops };
  }

  it(`gives a resubscriber the same sequence as a subscriber that stayed (${RUNS} runs, seed from RESUME_SEED)`, async () => {
    const results: RunResult[] = [];
    for (let batch = 0; batch < RUNS / CONCURRENT; batch++) {
      results.push(
        ...(await Promise.all(
          Array.from({ length: CONCURRENT }, (_, i) => run(batch * CONCURRENT + i)),
        )),
      );
    }
    for (const [index, result] of results.entries()) {
      const expected = result.stored.map((_, i) => i + 1);
      expect({ index, seed, seqs: result.stored }).toEqual({ index, seed, seqs: expected });
      expect({ index, seed, seqs: result.stayed }).toEqual({ index, seed, seqs: expected });
      expect({ index, seed, seqs: result.resumed }).toEqual({ index, seed, seqs: expected });
    }
    const resumes = results.reduce((sum, r) => sum + r.resumes, 0);
    const midJob = results.reduce((sum, r) => sum + r.midJob, 0);
    // The point is the seam while events are produced: most resubscriptions must land mid-job.
    expect(midJob / resumes).toBeGreaterThan(0.7);
  });
});
