/**
 * Bounds the token checks run at once, so that a burst of sockets (each costing one query before it
 * has proven anything) cannot take every database connection: the rest of the server keeps its pool.
 * Checks past the running bound wait in order; past the waiting bound they are refused at once.
 */
export class AuthGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  /** Runs `check` within the bound, or resolves `refused` without running it when the queue is full. */
  async run<T, R>(check: () => Promise<T>, refused: R): Promise<T | R> {
    if (this.running >= this.maxRunning) {
      if (this.waiting.length >= this.maxWaiting) return refused;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await check();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` only drops when nobody waits.
      if (next) next();
      else this.running--;
    }
  }
}
