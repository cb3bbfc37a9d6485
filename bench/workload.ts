import { performance } from 'node:perf_hooks';
import { mapLimit, median, percentile } from './support';

/** The workload both sides of the peer comparison run: a workflow of no-op steps. */
export const PEER_STEPS = 10;
/** Workflows in flight in the concurrent phase. */
export const PEER_IN_FLIGHT = 20;

export interface WorkloadSizes {
  warmupJobs: number;
  /** Jobs run one after another (1 in flight). */
  soloJobs: number;
  /** Jobs run PEER_IN_FLIGHT at a time. */
  jobs: number;
  /** Rounds of each phase; the median is reported. */
  rounds: number;
}

/** CPU seconds used so far, by part (e.g. node, postgres, redis). */
export type CpuParts = Record<string, number>;

export interface WorkloadResult {
  solo: { stepsPerSecond: number; p50Ms: number; p99Ms: number };
  inFlight: { stepsPerSecond: number; cpuMsPerStep: CpuParts };
}

const diff = (before: CpuParts, after: CpuParts): CpuParts =>
  Object.fromEntries(Object.entries(after).map(([part, value]) => [part, value - before[part]]));

/**
 * Runs the workload through `runJob` (start one workflow of PEER_STEPS steps and wait until it
 * has finished): jobs one at a time, timing each, then PEER_IN_FLIGHT at a time with the CPU
 * `cpu()` reports around it.
 */
export async function measureWorkload(
  sizes: WorkloadSizes,
  runJob: () => Promise<void>,
  cpu: () => Promise<CpuParts>,
): Promise<WorkloadResult> {
  await mapLimit(sizes.warmupJobs, PEER_IN_FLIGHT, runJob);
  const soloRates: number[] = [];
  const latencies: number[] = [];
  const rates: number[] = [];
  const cpuPerStep: CpuParts[] = [];
  for (let round = 0; round < sizes.rounds; round++) {
    const soloStart = performance.now();
    for (let i = 0; i < sizes.soloJobs; i++) {
      const start = performance.now();
      await runJob();
      latencies.push(performance.now() - start);
    }
    soloRates.push((sizes.soloJobs * PEER_STEPS) / ((performance.now() - soloStart) / 1000));

    const before = await cpu();
    const start = performance.now();
    await mapLimit(sizes.jobs, PEER_IN_FLIGHT, runJob);
    const seconds = (performance.now() - start) / 1000;
    const used = diff(before, await cpu());
    const steps = sizes.jobs * PEER_STEPS;
    rates.push(steps / seconds);
    cpuPerStep.push(
      Object.fromEntries(Object.entries(used).map(([part, s]) => [part, (s * 1000) / steps])),
    );
  }
  const parts = Object.keys(cpuPerStep[0] ?? {});
  return {
    solo: {
      stepsPerSecond: median(soloRates),
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    },
    inFlight: {
      stepsPerSecond: median(rates),
      cpuMsPerStep: Object.fromEntries(
        parts.map((part) => [part, median(cpuPerStep.map((round) => round[part]))]),
      ),
    },
  };
}
