import { barFrame, startActivity } from './progress';

/** A stderr stand-in that records what is written; `isTTY` chosen per test. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = {
    isTTY,
    text: '',
    write(chunk: string): boolean {
      stream.text += chunk;
      return true;
    },
  };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

describe('barFrame', () => {
  it('slides a block from one end to the other and back, at a constant width', () => {
    const frames = Array.from({ length: 40 }, (_, tick) => barFrame(tick));
    for (const frame of frames) expect(frame).toMatch(/^\[ *={6} *\]$/);
    expect(new Set(frames.map((f) => f.length)).size).toBe(1);
    expect(frames[0]).toMatch(/^\[=/);
    expect(frames[18]).toMatch(/=\]$/);
    expect(frames[36]).toBe(frames[0]);
    expect(frames[19]).toBe(frames[17]);
  });
});

describe('startActivity', () => {
  afterEach(() => jest.useRealTimers());

  it('prints one plain line at the start and one at the end when not on a terminal', () => {
    const stream = fakeStream(false);
    const activity = startActivity('Reindexing skills', { json: false, stream });
    expect(stream.text).toBe('Reindexing skills…\n');
    activity.done('done');
    expect(stream.text).toMatch(/^Reindexing skills…\nReindexing skills: done \(\d+\.\d s\)\n$/);
  });

  it('redraws a moving bar in place on a terminal, and ends with one line', () => {
    jest.useFakeTimers();
    const stream = fakeStream(true);
    const activity = startActivity('Importing', { json: false, stream });
    jest.advanceTimersByTime(400);
    const frames = stream.text.split('\r\x1b[2K').filter(Boolean);
    expect(frames.length).toBeGreaterThanOrEqual(5);
    expect(frames[0]).toMatch(/^\[=+ +\] Importing \d+\.\d s$/);
    expect(frames[1]).not.toBe(frames[0]);
    expect(stream.text).not.toContain('\n');
    activity.done('failed');
    expect(stream.text.endsWith('\n')).toBe(true);
    expect(stream.text.split('\r\x1b[2K').at(-1)).toMatch(/^Importing: failed \(\d+\.\d s\)\n$/);
    const after = stream.text;
    jest.advanceTimersByTime(400);
    expect(stream.text).toBe(after);
  });

  it('prints nothing with --json', () => {
    for (const isTTY of [true, false]) {
      const stream = fakeStream(isTTY);
      startActivity('Purging', { json: true, stream }).done('done');
      expect(stream.text).toBe('');
    }
  });
});
