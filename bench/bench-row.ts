/** One line of the benchmark table: our figure, the baseline it is compared with, and their ratio. */
export interface BenchRow {
  name: string;
  ours: string;
  baseline?: string;
  ratio?: string;
  note?: string;
  /** For a goal not met: what limits it, from what the run measured. */
  limit?: string;
}
