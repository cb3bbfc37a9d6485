/**
 * Shares one in-flight read among callers asking the same thing at the same time: the first caller
 * starts it, later ones with the same key get its promise until it settles. Nothing is kept after
 * that, so a read that starts later always reads afresh.
 */
export class Coalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, read: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const started = read().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  /** Reads in flight (for tests and metrics). */
  get size(): number {
    return this.inFlight.size;
  }
}
