/**
 * Runs the dates of a backfill with up to `maxActiveRuns` of them in flight, started in date order. Each run gets
 * the previous date's run (settled when it ends) for its date-order gate (date-order.ts), and a halt signal: when
 * a date fails and the backfill does not continue on failure, the dates after it halt (a started one stops before
 * its next task, one not started yet never starts). Results in date order; a date never started has none.
 */
import type { IsoDate } from '../../core/dates.ts';
import type { RunTrigger } from '../state/state-store.ts';
import type { DagRunResult } from './run-dag.ts';

export interface DateInFlight {
  date: IsoDate;
  force?: boolean;
}

export interface RunDatesInFlightOptions {
  trigger?: RunTrigger;
  stopSignal?: AbortSignal;
  maxActiveRuns: number;
  continueOnFailure?: boolean;
  onResult?: (result: DagRunResult) => void;
}

export type RunOneDate = (
  date: IsoDate,
  mode: { trigger?: RunTrigger; force?: boolean; stopSignal?: AbortSignal },
  previous: Promise<unknown> | undefined,
  halt: AbortSignal,
) => Promise<DagRunResult>;

export async function runDatesInFlight(
  dates: readonly DateInFlight[],
  options: RunDatesInFlightOptions,
  runOne: RunOneDate,
): Promise<DagRunResult[]> {
  const halts = dates.map(() => new AbortController());
  const ended: Promise<unknown>[] = [];
  const results: DagRunResult[] = [];
  let failure: unknown;
  const haltAfter = (index: number, reason: string) => {
    for (const halt of halts.slice(index + 1)) if (!halt.signal.aborted) halt.abort(new Error(reason));
  };
  const start = (index: number): Promise<unknown> => {
    const { date, force } = dates[index]!;
    const run = runOne(
      date,
      {
        ...(options.trigger ? { trigger: options.trigger } : {}),
        ...(force ? { force } : {}),
        ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
      },
      index > 0 ? ended[index - 1] : undefined,
      halts[index]!.signal,
    ).then(
      (result) => {
        results[index] = result;
        const failed = result.outcome !== 'success' && result.outcome !== 'already-succeeded';
        if (failed && !options.continueOnFailure) haltAfter(index, `date ${date} failed`);
        options.onResult?.(result);
      },
      (error: unknown) => {
        failure ??= error;
        haltAfter(index, `date ${date} could not run`);
      },
    );
    ended[index] = run;
    return run;
  };

  const inFlight = new Set<Promise<unknown>>();
  for (const index of dates.keys()) {
    if (halts[index]!.signal.aborted || options.stopSignal?.aborted) break;
    while (inFlight.size >= Math.max(1, options.maxActiveRuns)) await Promise.race(inFlight);
    if (halts[index]!.signal.aborted || options.stopSignal?.aborted) break;
    const run = start(index);
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return results.filter((result) => result !== undefined);
}
