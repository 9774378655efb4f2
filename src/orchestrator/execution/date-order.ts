/**
 * Several logical dates in flight at once (a backfill with `--max-active-runs` above 1) keep the meaning of running
 * them one after another: a task waits for the previous date's run to finish unless it is independent of other
 * dates (it reads only its own date's input and publishes nothing shared: the silver checks). So silver commits,
 * the ledger, quality judgements and the warehouse tasks happen in date order, as in a run of one date at a time,
 * while every date's independent tasks run at once.
 *
 * @example
 *   const gate = afterPreviousDate(dag, previousRunFinished, stopSignal);
 *   await runDag({ dag, store, logicalDate, logsDir, gate, stopSignal });
 */
import type { Dag } from '../definitions/dag.ts';

/** runDag's `gate`: resolves when `task` may start, or as soon as `stop` aborts. */
export function afterPreviousDate(
  dag: Dag,
  previous: Promise<unknown> | undefined,
  stop: AbortSignal,
): (task: string) => Promise<void> {
  if (!previous) return async () => undefined;
  const settled = previous.then(
    () => undefined,
    () => undefined,
  );
  const stopped = new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });
  return async (task) => {
    if (dag.task(task).independentOfOtherDates) return;
    await Promise.race([settled, stopped]);
  };
}
