/**
 * Wall seconds and CPU seconds of this process over `work` (DuckDB runs in process, so its threads count), and
 * its result. `measure-command.ts` does the same for a child process.
 */
export interface InProcessFigures<T> {
  seconds: number;
  cpuSeconds: number;
  result: T;
}

export async function measureInProcess<T>(work: () => Promise<T>): Promise<InProcessFigures<T>> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    result,
  };
}
