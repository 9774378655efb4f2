/** Writes one ingest day of the hand-built dataset (test/fixtures/handbuilt) into a lake's bronze zone. */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IsoDate } from '../../src/core/dates.ts';
import { commitBronzePartition, createStagingDir } from '../../src/lake/bronze-partition.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { BRONZE_DATASETS } from '../../src/lake/lake-layout.ts';
import { sha256OfFile } from '../../src/lake/manifest.ts';

export const HANDBUILT_DIR = fileURLToPath(new URL('../fixtures/handbuilt', import.meta.url));

export async function writeHandbuiltDay(lake: Lake, day: IsoDate): Promise<void> {
  for (const dataset of BRONZE_DATASETS) {
    const source = join(HANDBUILT_DIR, `${dataset}_${day}.jsonl`);
    const staged = await createStagingDir(lake);
    const target = join(staged, 'part-00000.jsonl');
    copyFileSync(source, target);
    const text = readFileSync(target, 'utf8');
    const rows = text.split('\n').filter((line) => line.trim() !== '').length;
    await commitBronzePartition(lake, dataset, day, staged, {
      dataset,
      ingest_date: day,
      rows,
      files: [
        {
          name: 'part-00000.jsonl',
          rows,
          bytes: Buffer.byteLength(text),
          sha256: await sha256OfFile(target),
        },
      ],
      source: { kind: 'ingest', files: [{ original: source, stored: 'part-00000.jsonl', format: 'jsonl' }] },
    });
  }
}
