import { sleep } from '#src/common/sleep';

/** One sleep for tests, src and bench alike (abortable); tests take it from here beside waitFor. */
export { sleep };

/** Polls `check` until it stops throwing (or returns truthy), or fails with its last error. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10000, intervalMs = 50 } = {},
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== undefined && value !== null) {
        return value as Exclude<T, false | null | undefined>;
      }
      lastError = new Error(`condition still ${String(value)}`);
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await sleep(intervalMs);
  }
}
