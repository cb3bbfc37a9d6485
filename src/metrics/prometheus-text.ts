/** Writes the Prometheus text exposition format (version 0.0.4) for metrics computed at scrape time. */

export type Labels = Record<string, string>;

export interface HistogramData {
  /** Upper bounds, ascending, in the metric's unit; `+Inf` is added. */
  buckets: readonly number[];
  /** Cumulative counts, one per bucket. */
  counts: readonly number[];
  count: number;
  sum: number;
}

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

const formatNumber = (value: number): string =>
  value === Infinity ? '+Inf' : Number.isFinite(value) ? String(value) : 'NaN';

export class PrometheusText {
  private readonly lines: string[] = [];

  /** A gauge or counter family with one sample per label set. */
  family(
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    samples: { labels?: Labels; value: number }[],
  ): this {
    this.header(name, type, help);
    for (const sample of samples) this.sample(name, sample.labels ?? {}, sample.value);
    return this;
  }

  histogram(name: string, help: string, series: { labels: Labels; data: HistogramData }[]): this {
    this.header(name, 'histogram', help);
    for (const { labels, data } of series) {
      data.buckets.forEach((bound, i) =>
        this.sample(`${name}_bucket`, { ...labels, le: formatNumber(bound) }, data.counts[i]),
      );
      this.sample(`${name}_bucket`, { ...labels, le: '+Inf' }, data.count);
      this.sample(`${name}_sum`, labels, data.sum);
      this.sample(`${name}_count`, labels, data.count);
    }
    return this;
  }

  toString(): string {
    return this.lines.length ? `${this.lines.join('\n')}\n` : '';
  }

  private header(name: string, type: string, help: string): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    this.lines.push(`# TYPE ${name} ${type}`);
  }

  private sample(name: string, labels: Labels, value: number): void {
    this.lines.push(`${name}${formatLabels(labels)} ${formatNumber(value)}`);
  }
}
