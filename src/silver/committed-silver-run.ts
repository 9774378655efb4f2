/**
 * What a silver run already committed for an ingest date, read back from the lake: for a task retried (or a
 * run resumed) after its process died between the silver commit and the record of its result. Running silver
 * again would count every row of the date as a duplicate and replace the run's ledger entry with those counts,
 * and it would report no touched partitions, so nothing downstream would load them. Instead the retry takes the
 * committed result: the ledger entry (part of the same multi-table commit as the silver files, so it exists
 * exactly when the commit does), the partitions it lists, and the entity snapshots of the date.
 *
 * `writtenFiles` is empty: later runs may have rewritten some of the run's files since, and without them every
 * reader of the batch (the quality gate through the version index, the warehouse's batch view by ingest date)
 * finds the date's rows itself.
 */
import type { IsoDate } from '../core/dates.ts';
import type { Lake } from '../lake/lake.ts';
import { baseName, ENTITY_DATASETS, LEDGER_TABLE, silverTable } from '../lake/lake-layout.ts';
import type { EntitySnapshotResult } from './entity-snapshots.ts';
import { isEntryOfRun, type LedgerEntry } from './ledger-entry.ts';
import type { SilverResult } from './run-silver.ts';

/** A {@link SilverResult} read back from the lake: rejected entity lines are counted only while a snapshot is built. */
export type CommittedSilverRun = Omit<SilverResult, 'entities'> & {
  entities: (Omit<EntitySnapshotResult, 'rejected'> & { rejected: null })[];
};

/** The committed result of `runId`'s silver run of `ingestDate`, or undefined when it has not committed. */
export async function committedSilverRun(
  lake: Lake,
  ingestDate: IsoDate,
  runId: string,
): Promise<CommittedSilverRun | undefined> {
  return lake.withWriterLease(async () => {
    // A commit the dead process left past its commit point is finished first: then it is visible below.
    const recoveredRuns = (await lake.recover()).map((recovered) => recovered.runId);
    const entry = (await lake.snapshot(LEDGER_TABLE))
      .files({ ingest_date: ingestDate })
      .find((file) => isEntryOfRun(baseName(file.key), runId));
    if (!entry) return undefined;
    const ledger = JSON.parse((await lake.store.get(entry.key)).toString('utf8')) as LedgerEntry;
    const touchedPartitions = ledger.touched_partitions.map((path) => {
      const [, eventDate, merchantCategory] = /^event_date=([^/]+)\/merchant_category=(.*)$/.exec(path) ?? [];
      return { eventDate: eventDate as IsoDate, merchantCategory: merchantCategory ?? '' };
    });
    const snapshots = await lake.snapshots(ENTITY_DATASETS.map(silverTable));
    const entities = ENTITY_DATASETS.flatMap((dataset) => {
      const files = snapshots.get(silverTable(dataset))!.files({ snapshot_date: ingestDate });
      if (files.length === 0) return [];
      const rows = files.reduce((sum, file) => sum + (file.numRecords ?? 0), 0);
      return [{ dataset, snapshotDate: ingestDate, rows, rejected: null }];
    });
    return {
      ledger,
      touchedEventDates: [...new Set(touchedPartitions.map((partition) => partition.eventDate))].sort(),
      touchedPartitions,
      writtenFiles: [],
      entities,
      recoveredRuns,
      versions: {},
    };
  });
}
