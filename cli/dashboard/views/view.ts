import * as blessed from 'blessed';
import type { Widgets } from 'blessed';
import type { Commands } from '../connection';
import type { KeyEvent } from '../keymap';
import type { ScreenName } from '../layouts';
import type { RenderScheduler } from '../render-scheduler';
import type { DashboardState, Store } from '../store';

/** What every view gets: it reads the store, asks for frames, runs commands, opens overlays. */
export interface ViewContext {
  screen: Widgets.Screen;
  store: Store;
  commands: Commands;
  render: RenderScheduler;
  /** Replaces the screen's view (enter on a job opens its detail; escape goes back). */
  showScreen(name: ScreenName): void;
  /** The view's own selection changed (a step came or went): the key hints are drawn again. */
  refreshHints(): void;
  /** Shows an overlay (form, dialog, help); global keys wait until it closes. */
  openOverlay(overlay: Overlay): void;
  /** Says something in the status line (what just happened). */
  notify(message: string): void;
  /** Shows a failure as the status line's last error. */
  fail(error: unknown): void;
}

/** Something on screen that handles keys and cleans up after itself. */
export interface View {
  /** Returns true when it used the key (global keys then do not see it). */
  handleKey(ch: string | undefined, key: KeyEvent): boolean;
  /** What is selected beyond the store's selections (the job detail's step), for the key hints. */
  readonly step?: string;
  destroy(): void;
}

export interface Overlay extends View {
  /** Set by the dashboard; the overlay calls it when it closes itself (not when destroyed). */
  onClose?: () => void;
}

/**
 * Base for views that draw store slices: one store listener, and a sync per frame (not per event).
 * Subclasses draw in `sync` and list their own cleanups in `disposers`.
 */
export abstract class StoreView implements View {
  protected readonly disposers: (() => void)[] = [];
  private readonly syncNow = () => this.sync(this.ctx.store.state);

  constructor(protected readonly ctx: ViewContext) {}

  /** Call at the end of the subclass constructor. */
  protected start(): void {
    this.disposers.push(this.ctx.store.subscribe(() => this.invalidate()));
    const onResize = () => this.invalidate();
    this.ctx.screen.on('resize', onResize);
    this.disposers.push(() => this.ctx.screen.removeListener('resize', onResize));
    this.sync(this.ctx.store.state);
  }

  /** Redraw at the next frame. */
  protected invalidate(): void {
    this.ctx.render.request(this.syncNow);
  }

  protected abstract sync(state: DashboardState): void;

  abstract handleKey(ch: string | undefined, key: KeyEvent): boolean;

  destroy(): void {
    this.ctx.render.cancel(this.syncNow);
    for (const dispose of this.disposers.splice(0)) dispose();
  }
}

/** A selection in a list shown in a box of some height: keeps the selected row in view. */
export class Cursor {
  index = 0;
  top = 0;

  /** Moves by `delta` (clamped); returns true when the index changed. */
  move(delta: number, count: number): boolean {
    const next = Math.max(0, Math.min(count - 1, this.index + delta));
    if (next === this.index || count === 0) return false;
    this.index = next;
    return true;
  }

  /** Clamps to `count` and returns the first visible row for a window of `height` rows. */
  window(count: number, height: number): number {
    this.index = Math.max(0, Math.min(this.index, count - 1));
    if (this.index < this.top) this.top = this.index;
    if (this.index >= this.top + height) this.top = this.index - height + 1;
    this.top = Math.max(0, Math.min(this.top, Math.max(0, count - height)));
    return this.top;
  }

  /** Handles ↑ ↓ PgUp PgDn Home End; returns true when the key was one of them. */
  navigate(key: KeyEvent, count: number, page: number): boolean | 'moved' {
    const deltas: Record<string, number> = {
      up: -1,
      down: 1,
      k: -1,
      j: 1,
      pageup: -page,
      pagedown: page,
      home: -count,
      end: count,
    };
    const delta = deltas[key.full];
    if (delta === undefined) return false;
    return this.move(delta, count) ? 'moved' : true;
  }
}

/** A bordered pane of a screen, titled `label`, placed by its layout's `position`. */
export const pane = (parent: Widgets.Node, label: string, position: object): Widgets.BoxElement =>
  blessed.box({
    parent,
    label: ` ${label} `,
    border: { type: 'line' },
    tags: true,
    wrap: false,
    ...position,
  });

/** The inner height of a bordered box. */
export function innerHeight(box: Widgets.BoxElement): number {
  return Math.max(1, (box.height as number) - 2);
}

export function innerWidth(box: Widgets.BoxElement): number {
  return Math.max(1, (box.width as number) - 2);
}
