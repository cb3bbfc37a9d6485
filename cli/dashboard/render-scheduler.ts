/**
 * Coalesces renders: any number of requests within one frame become one sync of the dirty views and
 * one `screen.render()`, so a burst of events does not redraw per event.
 */
export class RenderScheduler {
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<() => void>();
  private disposed = false;

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

  /**
   * Draws at the next turn of the event loop instead of the end of the frame: a key press shows at
   * once, while keys that arrive together (a paste) still make one frame.
   */
  soon(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), 0);
  }

  /** Draws now whatever is pending. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed) return;
    const syncs = [...this.pending];
    this.pending.clear();
    for (const sync of syncs) sync();
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
