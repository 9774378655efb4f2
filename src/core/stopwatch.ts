/**
 * The one clock the pipeline times itself with: wall seconds and the CPU seconds of the whole process (every
 * thread, DuckDB's included). On a busy shared machine wall time mostly measures the neighbours; CPU seconds
 * hold up, so every timing event carries both.
 *
 * @example
 *   const watch = startStopwatch();
 *   await work();
 *   const { seconds, cpuSeconds } = watch.read();
 */

export interface Elapsed {
  seconds: number;
  cpuSeconds: number;
}

export interface Stopwatch {
  /** Time since the start; the stopwatch keeps running. */
  read(): Elapsed;
}

export function startStopwatch(): Stopwatch {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return {
    read: () => {
      const used = process.cpuUsage(cpu);
      return { seconds: (performance.now() - wall) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
    },
  };
}

/** Runs `work` and returns its result with the time it took. */
export async function measure<T>(work: () => Promise<T>): Promise<Elapsed & { result: T }> {
  const watch = startStopwatch();
  const result = await work();
  return { ...watch.read(), result };
}
