import { RenderScheduler } from './render-scheduler';

describe('RenderScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('draws one frame for a burst of requests, running each sync once', () => {
    const render = jest.fn();
    const sync = jest.fn();
    const scheduler = new RenderScheduler(render, 30);
    for (let i = 0; i < 100; i++) scheduler.request(sync);
    expect(render).not.toHaveBeenCalled();
    jest.advanceTimersByTime(30);
    expect(render).toHaveBeenCalledTimes(1);
    expect(sync).toHaveBeenCalledTimes(1);
    scheduler.request();
    jest.advanceTimersByTime(30);
    expect(render).toHaveBeenCalledTimes(2);
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it('draws a key press at the next tick instead of the end of the frame', () => {
    const render = jest.fn();
    const scheduler = new RenderScheduler(render, 30);
    scheduler.request();
    scheduler.soon();
    scheduler.soon();
    jest.advanceTimersByTime(0);
    expect(render).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(30);
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('does nothing after dispose, and drops cancelled syncs', () => {
    const render = jest.fn();
    const sync = jest.fn();
    const scheduler = new RenderScheduler(render, 30);
    scheduler.request(sync);
    scheduler.cancel(sync);
    jest.advanceTimersByTime(30);
    expect(sync).not.toHaveBeenCalled();
    scheduler.dispose();
    scheduler.request();
    jest.advanceTimersByTime(100);
    expect(render).toHaveBeenCalledTimes(1);
  });
});
