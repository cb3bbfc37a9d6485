/**
 * Shares one in-flight read among callers asking the same thing at the same time: the first caller
 * starts it, later ones with the same key get its promise until it settles. Nothing is kept after
 * that, so a read that starts later always reads afresh.
 *
 * A caller that must see everything committed before some moment (say, before it began listening
 * for live changes) takes `now()` at that moment and passes it as `since`: it then joins only a read
 * started after it, and starts its own otherwise.
 */
export class Coalescer<T> {
  private clock = 0;
  private readonly inFlight = new Map<string, { startedAt: number; result: Promise<T> }>();

  /** A moment to pass as `since`. */
  now(): number {
    return ++this.clock;
  }

  run(key: string, read: () => Promise<T>, since = 0): Promise<T> {
    const running = this.inFlight.get(key);
    if (running && running.startedAt > since) return running.result;
    const entry = { startedAt: this.now(), result: read() };
    entry.result = entry.result.finally(() => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    });
    this.inFlight.set(key, entry);
    return entry.result;
  }

  /** Reads in flight (for tests and metrics). */
  get size(): number {
    return this.inFlight.size;
  }
}
