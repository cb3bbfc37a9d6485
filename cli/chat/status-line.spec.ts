import type { JobEvent } from '#src/client/index';
import { elapsed, nextState, StatusLine, statusText, type StatusState } from './status-line';

const state: StatusState = {
  jobId: '0123456789ab-cdef',
  status: 'running',
  step: 'generate',
  percent: 45.4,
  since: 1_000_000,
  note: null,
};

describe('statusText', () => {
  it('shows the spinner, short id, status, step, percent and elapsed time', () => {
    expect(statusText(state, 1_000_000 + 72_500, 0, 120)).toBe(
      '⠋ 01234567 running · generate · 45% · 1m12s',
    );
    expect(statusText(state, 1_000_000 + 3_000, 1, 120)).toBe(
      '⠙ 01234567 running · generate · 45% · 3s',
    );
  });

  it('shows a note instead of the step, and "starting" before any step', () => {
    const note = { ...state, note: 'reconnecting (attempt 2)' };
    expect(statusText(note, state.since, 0, 120)).toContain('· reconnecting (attempt 2) ·');
    expect(statusText({ ...state, step: null }, state.since, 0, 120)).toContain('· starting ·');
  });

  it('fits in the terminal width (never wraps) and carries no control sequence', () => {
    const hostile = { ...state, step: `gen\u001b[2Jerate${'x'.repeat(200)}` };
    const text = statusText(hostile, state.since, 0, 40);
    expect(text.length).toBeLessThanOrEqual(39);
    expect(text.endsWith('…')).toBe(true);
    expect(text).not.toContain('\u001b');
  });
});

describe('nextState', () => {
  const event = (e: Omit<JobEvent, 'v' | 'type' | 'topic' | 'ts'>): JobEvent =>
    ({ v: 1, type: 'event', topic: 'job:x', ts: '2026-12-03T00:00:00Z', ...e }) as JobEvent;

  it('follows step, progress and status events, and completion shows 100% and no step', () => {
    let s = nextState(
      state,
      event({ event: 'step.started', payload: { step: 'review', attempt: 1 } }),
    );
    expect(s.step).toBe('review');
    s = nextState(s, event({ event: 'job.progress', payload: { percent: 80, message: null } }));
    expect(s.percent).toBe(80);
    s = nextState(
      s,
      event({ event: 'job.status', payload: { status: 'waiting', previous: 'running' } }),
    );
    expect(s.status).toBe('waiting');
    s = nextState(s, event({ event: 'job.completed', payload: { result: {} } }));
    expect(s).toMatchObject({ status: 'completed', percent: 100, step: null });
  });
});

describe('elapsed', () => {
  it('writes seconds, then minutes and seconds', () => {
    expect(elapsed(-5)).toBe('0s');
    expect(elapsed(59_999)).toBe('59s');
    expect(elapsed(600_000)).toBe('10m00s');
  });
});

describe('StatusLine', () => {
  /** A terminal stream that records what is written. */
  const fakeStream = () => {
    const written: string[] = [];
    const stream = { columns: 80, write: (text: string) => written.push(text) > 0 };
    return { written, stream: stream as unknown as NodeJS.WriteStream };
  };

  it('draws in place, erases before other text, stays away while hidden, and stops', () => {
    jest.useFakeTimers();
    try {
      const { written, stream } = fakeStream();
      const line = new StatusLine(stream);
      line.start({ ...state, since: Date.now() });
      expect(written).toEqual(['\r\u001b[2K⠋ 01234567 running · generate · 45% · 0s']);
      jest.advanceTimersByTime(100);
      expect(written.at(-1)?.startsWith('\r\u001b[2K⠙ 01234567 running')).toBe(true);
      line.clear();
      expect(written.at(-1)).toBe('\r\u001b[2K');
      line.clear(); // nothing shown: nothing written
      expect(written.filter((w) => w === '\r\u001b[2K')).toHaveLength(1);
      line.hide();
      const before = written.length;
      jest.advanceTimersByTime(500);
      expect(written).toHaveLength(before);
      line.show();
      expect(written.at(-1)).toMatch(/⠹ 01234567/);
      line.stop();
      expect(written.at(-1)).toBe('\r\u001b[2K');
      const stopped = written.length;
      jest.advanceTimersByTime(500);
      expect(written).toHaveLength(stopped);
    } finally {
      jest.useRealTimers();
    }
  });
});
