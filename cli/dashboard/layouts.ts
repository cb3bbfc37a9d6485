/**
 * Screens and their layouts as data. A screen's view gets one box per pane; the first layout whose
 * `minWidth` the terminal reaches is used, so wider terminals get side-by-side panes.
 */

/** `Job` is one job's detail, opened from Jobs with enter. */
export type ScreenName = 'Jobs' | 'Job' | 'Inbox' | 'Skills';

export interface PanePosition {
  top: string | number;
  left: string | number;
  width: string | number;
  height: string | number;
}

export interface Layout<P extends string> {
  minWidth: number;
  panes: Record<P, PanePosition>;
}

export type JobsPane = 'table' | 'steps' | 'log';
export type JobPane = 'summary' | 'steps' | 'output' | 'log';
export type InboxPane = 'list' | 'detail';
export type SkillsPane = 'tree' | 'detail';

export interface ScreenLayouts {
  Jobs: Layout<JobsPane>[];
  Job: Layout<JobPane>[];
  Inbox: Layout<InboxPane>[];
  Skills: Layout<SkillsPane>[];
}

export const SCREEN_ORDER: { name: ScreenName; key: string }[] = [
  { name: 'Jobs', key: '1' },
  { name: 'Inbox', key: '2' },
  { name: 'Skills', key: '3' },
];

export const LAYOUTS: ScreenLayouts = {
  Jobs: [
    {
      minWidth: 160,
      panes: {
        table: { top: 0, left: 0, width: '60%', height: '100%' },
        steps: { top: 0, left: '60%', width: '40%', height: '40%' },
        log: { top: '40%', left: '60%', width: '40%', height: '60%' },
      },
    },
    {
      minWidth: 0,
      panes: {
        table: { top: 0, left: 0, width: '100%', height: '50%' },
        steps: { top: '50%', left: 0, width: '40%', height: '50%' },
        log: { top: '50%', left: '40%', width: '60%', height: '50%' },
      },
    },
  ],
  // The summary has 3 inner rows (task, status, the no-model notice); the rest is shared.
  Job: [
    {
      minWidth: 160,
      panes: {
        summary: { top: 0, left: 0, width: '100%', height: 5 },
        steps: { top: 5, left: 0, width: '45%', height: '50%-2' },
        log: { top: '50%+3', left: 0, width: '45%', height: '50%-3' },
        output: { top: 5, left: '45%', width: '55%', height: '100%-5' },
      },
    },
    {
      minWidth: 0,
      panes: {
        summary: { top: 0, left: 0, width: '100%', height: 5 },
        steps: { top: 5, left: 0, width: '55%', height: '50%-2' },
        output: { top: 5, left: '55%', width: '45%', height: '50%-2' },
        log: { top: '50%+3', left: 0, width: '100%', height: '50%-3' },
      },
    },
  ],
  Inbox: [
    {
      minWidth: 140,
      panes: {
        list: { top: 0, left: 0, width: '50%', height: '100%' },
        detail: { top: 0, left: '50%', width: '50%', height: '100%' },
      },
    },
    {
      minWidth: 0,
      panes: {
        list: { top: 0, left: 0, width: '100%', height: '45%' },
        detail: { top: '45%', left: 0, width: '100%', height: '55%' },
      },
    },
  ],
  Skills: [
    {
      minWidth: 0,
      panes: {
        tree: { top: 0, left: 0, width: '40%', height: '100%' },
        detail: { top: 0, left: '40%', width: '60%', height: '100%' },
      },
    },
  ],
};

export function layoutFor<P extends string>(layouts: Layout<P>[], width: number): Layout<P> {
  return layouts.find((layout) => width >= layout.minWidth) ?? layouts[layouts.length - 1];
}
