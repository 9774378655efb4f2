import { afterEach, describe, expect, it } from 'vitest';
import {
  type ControlPlaneFixture,
  controlPlaneFixture,
} from '../../../test/orchestrator/helpers/control-plane-fixture.ts';
import type { IsoDate } from '../../core/dates.ts';
import { defineDag } from '../definitions/dag.ts';
import { defineTask } from '../definitions/task-definition.ts';
import { afterPreviousDate } from './date-order.ts';
import { runDag } from './run-dag.ts';
import { runDatesInFlight } from './run-dates-in-flight.ts';

const DATES = ['2025-03-01', '2025-03-02', '2025-03-03', '2025-03-04'] as IsoDate[];
let fixture: ControlPlaneFixture;
afterEach(async () => {
  await fixture?.store.close();
});

/** check (independent of other dates) → commit → load, logging when each task of each date starts and ends. */
function dailyLike(options: { failCommitOf?: IsoDate } = {}) {
  const log: string[] = [];
  const step = async (what: string, date: IsoDate) => {
    log.push(`${what}:${date}:start`);
    // Yield several times so that tasks which may overlap do.
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 2));
    log.push(`${what}:${date}:end`);
  };
  const check = defineTask({
    name: 'check',
    independentOfOtherDates: true,
    run: async ({ logicalDate }) => step('check', logicalDate),
  });
  const commit = defineTask({
    name: 'commit',
    dependsOn: [check],
    retry: { retries: 0 },
    run: async ({ logicalDate }) => {
      await step('commit', logicalDate);
      if (logicalDate === options.failCommitOf) throw new Error(`commit of ${logicalDate} refused`);
    },
  });
  const load = defineTask({
    name: 'load',
    dependsOn: [commit],
    run: async ({ logicalDate }) => step('load', logicalDate),
  });
  return { dag: defineDag({ name: 'daily_like', tasks: [check, commit, load] }), log };
}

function runAll(
  dag: ReturnType<typeof dailyLike>['dag'],
  options: { maxActiveRuns: number; continueOnFailure?: boolean },
) {
  return runDatesInFlight(
    DATES.map((date) => ({ date })),
    options,
    (date, mode, previous, halt) => {
      const stopSignal = AbortSignal.any([halt, ...(mode.stopSignal ? [mode.stopSignal] : [])]);
      return runDag({
        dag,
        store: fixture.store,
        logicalDate: date,
        logsDir: fixture.logsDir,
        stopSignal,
        gate: afterPreviousDate(dag, previous, stopSignal),
      });
    },
  );
}

const at = (log: string[], entry: string) => {
  const index = log.indexOf(entry);
  expect(index, entry).toBeGreaterThanOrEqual(0);
  return index;
};

describe('dates in flight', () => {
  it('runs every date’s independent tasks at once and the others one date after another, in date order', async () => {
    fixture = controlPlaneFixture();
    const { dag, log } = dailyLike();
    const results = await runAll(dag, { maxActiveRuns: DATES.length });
    expect(results.map((result) => [result.logicalDate, result.outcome])).toEqual(
      DATES.map((date) => [date, 'success']),
    );
    // Every date's check started before the first date's load ended.
    for (const date of DATES)
      expect(at(log, `check:${date}:start`)).toBeLessThan(at(log, `load:${DATES[0]}:end`));
    // A date's commit starts only after the previous date's load ended: the dependent tasks never overlap.
    const dependent = log.filter((entry) => !entry.startsWith('check:'));
    expect(dependent).toEqual(
      DATES.flatMap((date) =>
        ['commit', 'load'].flatMap((task) => [`${task}:${date}:start`, `${task}:${date}:end`]),
      ),
    );
  });

  it('with one run in flight runs the dates strictly one after another', async () => {
    fixture = controlPlaneFixture();
    const { dag, log } = dailyLike();
    await runAll(dag, { maxActiveRuns: 1 });
    expect(log).toEqual(
      DATES.flatMap((date) =>
        ['check', 'commit', 'load'].flatMap((task) => [`${task}:${date}:start`, `${task}:${date}:end`]),
      ),
    );
  });

  it('halts the dates after a failed one: their other tasks never start, their runs stop to be resumed', async () => {
    fixture = controlPlaneFixture();
    const { dag, log } = dailyLike({ failCommitOf: DATES[1] });
    const results = await runAll(dag, { maxActiveRuns: DATES.length });
    expect(results.map((result) => [result.logicalDate, result.outcome])).toEqual([
      [DATES[0], 'success'],
      [DATES[1], 'failed'],
      [DATES[2], 'stopped'],
      [DATES[3], 'stopped'],
    ]);
    for (const date of DATES.slice(2)) {
      expect(log.filter((entry) => entry.includes(date) && !entry.startsWith('check:'))).toEqual([]);
      const run = (await fixture.store.listRuns({ logicalDate: date }))[0]!;
      expect(run.error).toMatch(`stopped before task commit (date ${DATES[1]} failed)`);
    }
  });

  it('goes on after a failed date with continueOnFailure, still in date order', async () => {
    fixture = controlPlaneFixture();
    const { dag, log } = dailyLike({ failCommitOf: DATES[1] });
    const results = await runAll(dag, { maxActiveRuns: 2, continueOnFailure: true });
    expect(results.map((result) => result.outcome)).toEqual(['success', 'failed', 'success', 'success']);
    expect(at(log, `commit:${DATES[2]}:start`)).toBeGreaterThan(at(log, `commit:${DATES[1]}:end`));
    expect(at(log, `commit:${DATES[3]}:start`)).toBeGreaterThan(at(log, `load:${DATES[2]}:end`));
  });
});
