/** How a GroupCommit gathers its batches. */
export interface GroupCommitLimits {
  /** A batch closes when it holds this many items... */
  maxItems: number;
  /** ...or this long after its first item arrived, whichever comes first. */
  maxWaitMs: number;
}

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items that arrive while a write is in flight are gathered and written together
 * as soon as that write ends, when the batch is full, or after `maxWaitMs`, whichever comes
 * first. An item that arrives while nothing is being written is written at once and alone
 * (`writeOne`): one job running alone waits for nothing. Each caller's promise settles only after
 * the write that carried its item has finished; when that write fails, every caller in it gets the
 * error. `writeMany` answers one result per item, in order.
 */
export class GroupCommit<I, R> {
  private pending: Waiting<I, R>[] = [];
  private inFlight = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly writeOne: (item: I) => Promise<R>,
    private readonly writeMany: (items: I[]) => Promise<R[]>,
    private readonly limits: GroupCommitLimits,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.inFlight === 0 || this.pending.length >= this.limits.maxItems) this.close();
      else this.timer ??= setTimeout(() => this.close(), this.limits.maxWaitMs);
    });
  }

  /** Writes what is pending now (never more than a full batch: submit closes one when full). */
  private close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0, this.limits.maxItems);
    if (batch.length === 0) return;
    this.inFlight += 1;
    const written =
      batch.length === 1
        ? this.writeOne(batch[0].item).then((result) => [result])
        : this.writeMany(batch.map(({ item }) => item));
    void written
      .then(
        (results) => batch.forEach((waiting, i) => waiting.resolve(results[i])),
        (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
      )
      .finally(() => {
        this.inFlight -= 1;
        if (this.pending.length > 0) this.close();
      });
  }
}
