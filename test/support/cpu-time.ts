/**
 * CPU time used by this process, for guards against super-linear work (a regex that backtracks, a
 * parser that blows up). Wall time would also count other processes on a busy machine; CPU time
 * counts only the work under test, so such a guard fails on a real blow-up and not on load.
 */
export const cpuClock = (): NodeJS.CpuUsage => process.cpuUsage();

/** Milliseconds of CPU (user + system) this process has used since `start`. */
export const cpuMillisSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
