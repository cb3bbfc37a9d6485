/**
 * Coalesces renders: any number of requests within one frame become one sync of the dirty views and
 * one `screen.render()`, so a burst of events does not redraw per event.
 */
export class RenderScheduler {
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<() => void>();
  private disposed = false;
  /** Frames drawn so far (for tests and the benchmark). */
  frames = 0;

  constructor(
    private readonly render: () => void,
    private readonly frameMs = 30,
  ) {}

  /** Asks for a frame; `sync` (a view bringing its widgets up to date) runs once before it. */
  request(sync?: () => void): void {
    if (this.disposed) return;
    if (sync) this.pending.add(sync);
    this.timer ??= setTimeout(() => this.flush(), this.frameMs);
  }

  /** Draws now whatever is pending. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed) return;
    const syncs = [...this.pending];
    this.pending.clear();
    for (const sync of syncs) sync();
    this.frames++;
    this.render();
  }

  /** Forgets a view's pending sync (the view is being destroyed). */
  cancel(sync: () => void): void {
    this.pending.delete(sync);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.pending.clear();
  }
}
