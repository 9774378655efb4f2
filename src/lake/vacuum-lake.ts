/**
 * `fintech-etl vacuum`: deletes what no committed snapshot refers to any more, once it is older than the
 * retention period (`lake.retention_hours`): files a later commit replaced, files of writes that died before
 * their commit, the COPY manifests of past loads and the staged results of silver check jobs. Every zone but bronze, which is immutable (the pipeline
 * may not delete it; see iam-policy.ts) and never superseded.
 */

import type { VacuumResult } from './commit-log/vacuum-tables.ts';
import type { Lake } from './lake.ts';
import {
  BRONZE_DATASETS,
  GOLD_PREFIX,
  LEDGER_TABLE,
  QUALITY_HOLDS_TABLE,
  QUALITY_RESULTS_TABLE,
  QUARANTINE_TABLE,
  SILVER_CHECKS_PREFIX,
  SILVER_INDEX_TABLE,
  silverTable,
} from './lake-layout.ts';
import { listAll } from './object-store.ts';
import { COPY_MANIFESTS_PREFIX } from './redshift-copy-manifest.ts';

export interface VacuumLakeOptions {
  dryRun?: boolean;
  /** Overrides `lake.retention_hours`. */
  retentionHours?: number;
  now?: () => number;
}

/** The tables vacuum looks at: silver's, the index, quarantine, ledger, quality gate, every gold mart found. */
export async function vacuumableTables(lake: Lake): Promise<string[]> {
  const marts = await lake.store.list(GOLD_PREFIX, { delimiter: '/' });
  return [
    ...BRONZE_DATASETS.map(silverTable),
    SILVER_INDEX_TABLE,
    QUARANTINE_TABLE,
    LEDGER_TABLE,
    QUALITY_RESULTS_TABLE,
    QUALITY_HOLDS_TABLE,
    ...marts.prefixes.map((prefix) => prefix.slice(0, -1)).sort(),
  ];
}

export async function vacuumLake(lake: Lake, options: VacuumLakeOptions = {}): Promise<VacuumResult[]> {
  return lake.withWriterLease(async () => {
    const results = await lake.vacuum(await vacuumableTables(lake), options);
    const cutoff = (options.now ?? Date.now)() - (options.retentionHours ?? lake.retentionHours) * 3_600_000;
    // Objects no commit ever refers to, read only by the run that wrote them: deleted once old enough.
    for (const prefix of [COPY_MANIFESTS_PREFIX, SILVER_CHECKS_PREFIX]) {
      const old: string[] = [];
      let keptYoung = 0;
      for await (const object of listAll(lake.store, prefix)) {
        if (object.lastModified.getTime() < cutoff) old.push(object.key);
        else keptYoung++;
      }
      if (!options.dryRun && old.length > 0) {
        await lake.lease.assertHeld();
        await lake.store.deleteMany(old);
      }
      results.push({ table: prefix.slice(0, -1), deleted: old, keptYoung });
    }
    return results;
  });
}
