/**
 * A silver run whose task timed out or was stopped: its DuckDB statements are interrupted (every connection of
 * its database), no step starts after, and the run fails with the signal's reason before its commit point,
 * leaving the lake as it was; a commit already under way finishes, as its commit point decides.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IsoDate } from '../../src/core/dates.ts';
import type { PipelineEvent } from '../../src/core/pipeline-event.ts';
import { LEDGER_TABLE } from '../../src/lake/lake-layout.ts';
import { runSilver } from '../../src/silver/run-silver.ts';
import { openSilverDatabase } from '../../src/silver/silver-database.ts';
import {
  createSilverFixture,
  readSilver,
  type SilverFixture,
  TEST_KEY,
  txn,
  writeBronze,
} from './silver-fixture.ts';

const DAY = '2025-03-01' as IsoDate;
/** A hash join whose probe side is a billion rows: many minutes unless interrupted. */
const SLOW = 'select count(*) from range(1000000000) a, range(1000) b where a.range % 7 = b.range % 11';

async function fixtureWithBronze(): Promise<SilverFixture> {
  const f = await createSilverFixture();
  await writeBronze(f.lake, DAY, [
    { name: 'part-00000.jsonl', lines: [txn('A'), txn('B'), txn('C', { mcc: '5812' }), txn('A'), 'junk'] },
  ]);
  return f;
}

function silverRun(
  f: SilverFixture,
  signal: AbortSignal,
  emit: (event: PipelineEvent) => void,
  runId: string,
) {
  return runSilver({
    config: f.config,
    lake: f.lake,
    ingestDate: DAY,
    runId,
    tokenizationKey: TEST_KEY,
    signal,
    events: { emit },
  });
}

describe('silver under an aborted signal', () => {
  it('interrupts the statements running on every connection of its database', async () => {
    const f = await createSilverFixture();
    const controller = new AbortController();
    const database = await openSilverDatabase(f.config, join(f.home, 'spill'), controller.signal);
    try {
      const second = await database.connect();
      const running = [database.connection.run(SLOW), second.run(SLOW)].map((statement) =>
        statement.then(
          () => 'finished',
          (error: Error) => error.message,
        ),
      );
      setTimeout(() => controller.abort(new Error('task silver timed out after 1 s')), 300);
      const started = Date.now();
      expect(await Promise.all(running)).toEqual([
        expect.stringMatching(/interrupt/i),
        expect.stringMatching(/interrupt/i),
      ]);
      // A generous bound: uninterrupted, each statement runs for many minutes.
      expect(Date.now() - started).toBeLessThan(60_000);
      // Statements started after the abort are interrupted too, until the database is closed.
      await expect(second.run(SLOW)).rejects.toThrow(/interrupt/i);
    } finally {
      database.close();
    }
  });

  it('fails with the reason before its commit point, leaving the lake as it was; a rerun commits the day', async () => {
    const f = await fixtureWithBronze();
    const controller = new AbortController();
    const reason = new Error('task silver timed out after 1 s');
    const steps: string[] = [];
    const failed = await silverRun(
      f,
      controller.signal,
      (event) => {
        if (event.kind !== 'step-timed') return;
        steps.push(event.step);
        if (event.step === 'classify-versions') controller.abort(reason);
      },
      'run-aborted',
    ).catch((error: unknown) => error);
    expect(failed).toBe(reason);
    expect(steps).not.toContain('commit');
    expect(await readSilver(f.lake)).toEqual([]);
    expect((await f.lake.snapshot(LEDGER_TABLE)).files()).toEqual([]);

    const result = await f.run(DAY, 'run-again');
    expect(result.ledger).toMatchObject({ bronze_rows: 5, inserted: 3, duplicates: 1, quarantined: 1 });
    expect((await readSilver(f.lake)).map((row) => row['transaction_id'])).toEqual(['A', 'B', 'C']);
  });

  it('finishes a commit already under way: an abort at its commit point leaves the day committed', async () => {
    const f = await fixtureWithBronze();
    const controller = new AbortController();
    const result = await runSilver({
      config: f.config,
      lake: f.lake,
      ingestDate: DAY,
      runId: 'run-committing',
      tokenizationKey: TEST_KEY,
      signal: controller.signal,
      commitHooks: {
        beforeCommitPoint: () => controller.abort(new Error('task silver timed out after 1 s')),
      },
    });
    expect(controller.signal.aborted).toBe(true);
    expect(result.ledger).toMatchObject({ inserted: 3 });
    expect((await readSilver(f.lake)).map((row) => row['transaction_id'])).toEqual(['A', 'B', 'C']);
  });
});
