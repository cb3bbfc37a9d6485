import { PrometheusText } from './prometheus-text';

describe('PrometheusText', () => {
  it('writes families with HELP, TYPE and escaped labels', () => {
    const text = new PrometheusText()
      .family('sf_jobs', 'gauge', 'Jobs by status.', [
        { labels: { status: 'queued' }, value: 3 },
        { labels: { status: 'we"ird\\\n' }, value: 0 },
      ])
      .toString();
    expect(text).toBe(
      [
        '# HELP sf_jobs Jobs by status.',
        '# TYPE sf_jobs gauge',
        'sf_jobs{status="queued"} 3',
        'sf_jobs{status="we\\"ird\\\\\\n"} 0',
        '',
      ].join('\n'),
    );
  });

  it('writes cumulative histogram buckets ending in +Inf, then sum and count', () => {
    const text = new PrometheusText()
      .histogram('sf_wait_seconds', 'Wait.', [
        {
          labels: { kind: 'confirm' },
          data: { buckets: [1, 5], counts: [2, 3], count: 4, sum: 12.5 },
        },
      ])
      .toString();
    expect(text.split('\n')).toEqual([
      '# HELP sf_wait_seconds Wait.',
      '# TYPE sf_wait_seconds histogram',
      'sf_wait_seconds_bucket{kind="confirm",le="1"} 2',
      'sf_wait_seconds_bucket{kind="confirm",le="5"} 3',
      'sf_wait_seconds_bucket{kind="confirm",le="+Inf"} 4',
      'sf_wait_seconds_sum{kind="confirm"} 12.5',
      'sf_wait_seconds_count{kind="confirm"} 4',
      '',
    ]);
  });
});
