export interface BackoffOptions {
  /** Delay before the first reconnect attempt. */
  initialMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  factor: number;
  /** 0-1: the share of each delay that is randomised, so many clients do not reconnect in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 250,
  maxMs: 10_000,
  factor: 2,
  jitter: 0.2,
};

/** The delay before reconnect attempt `attempt` (1, 2, 3 …): exponential, capped, jittered. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** (attempt - 1));
  return Math.round(base * (1 - options.jitter * random()));
}
