/**
 * The `gold` task: every model in the `marts` schema is exported to `<lake>/gold/marts/<mart>/part-00000.parquet`
 * for BI tools and the dashboard. Each file is written in the lake's staging area and renamed over the old one,
 * so a reader sees the previous export or the new one, never half a file.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LakeLayout } from '../lake/lake-layout.ts';
import type { Relation, Warehouse } from '../warehouse/warehouse.ts';

export const GOLD_FILE = 'part-00000.parquet';

export interface GoldExport {
  mart: string;
  path: string;
}

export async function exportGold(
  warehouse: Warehouse,
  lake: LakeLayout,
  marts: Relation[],
): Promise<GoldExport[]> {
  const staging = join(lake.staging(), `gold-${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  const exports: GoldExport[] = [];
  try {
    for (const mart of marts) {
      const staged = join(staging, `${mart.name}.parquet`);
      await warehouse.exportParquet(mart, staged);
      const folder = lake.goldMart(mart.name);
      await mkdir(folder, { recursive: true });
      await rename(staged, join(folder, GOLD_FILE));
      exports.push({ mart: mart.name, path: join(folder, GOLD_FILE) });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return exports;
}
