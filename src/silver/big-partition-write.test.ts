/**
 * The write path of a partition with at least OWN_COPY_MIN_WINNERS winners (its own plain COPY,
 * sql/write-partition.sql) next to the partitioned COPY of the small ones: one file per partition, the same
 * columns and types, and the merge with the partition's existing file (ids updated in place or moved away).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  createSilverFixture,
  query,
  readSilver,
  txn,
  writeBronze,
} from '../../test/silver/silver-fixture.ts';
import type { IsoDate } from '../core/dates.ts';

const BIG = 10_050;

it('writes a big partition by its own COPY, merged with its file, alongside the partitioned small ones', async () => {
  const f = createSilverFixture();
  const ids = Array.from({ length: BIG }, (_, i) => `T${String(i).padStart(6, '0')}`);
  await writeBronze(f.lake, '2025-03-01', [
    {
      name: 'part-00000.jsonl',
      lines: [...ids.map((id) => txn(id)), txn('S1', { mcc: '5812' }), txn('S2', { mcc: '5812' })],
    },
  ]);
  const first = await f.run('2025-03-01');
  expect(first.ledger).toMatchObject({ inserted: BIG + 2, quarantined: 0 });

  // Day 2: more rows for the big partition (it merges with its file), 3 ids move to the small partition, 2
  // ids change within the big one.
  const added = Array.from({ length: 10_001 }, (_, i) => `U${String(i).padStart(6, '0')}`);
  await writeBronze(f.lake, '2025-03-02', [
    {
      name: 'part-00000.jsonl',
      lines: [
        ...added.map((id) => txn(id)),
        ...ids.slice(0, 3).map((id) => txn(id, { mcc: '5812' })),
        ...ids.slice(3, 5).map((id) => txn(id, { amount: '99.00' })),
      ],
    },
  ]);
  const second = await f.run('2025-03-02');
  expect(second.ledger).toMatchObject({ inserted: 10_001, superseded: 5 });

  const day = '2025-03-01' as IsoDate;
  const grocery = f.lake.silverPartition(day, 'grocery');
  const dining = f.lake.silverPartition(day, 'dining');
  expect(readdirSync(grocery)).toEqual(['data.parquet']);
  expect(readdirSync(dining)).toEqual(['data.parquet']);

  const silver = await readSilver(f.lake);
  expect(silver).toHaveLength(BIG + 2 + 10_001);
  const byCategory = await query(
    `SELECT merchant_category, count(*)::INTEGER AS n, count(DISTINCT transaction_id)::INTEGER AS ids
     FROM read_parquet('${f.lake.silverTransactions()}/*/*/*.parquet') GROUP BY 1 ORDER BY 1`,
  );
  expect(byCategory).toEqual([
    { merchant_category: 'dining', n: 5, ids: 5 },
    { merchant_category: 'grocery', n: BIG - 3 + 10_001, ids: BIG - 3 + 10_001 },
  ]);
  const changed = silver.filter((row) => ids.slice(0, 5).includes(row['transaction_id'] as string));
  expect(changed.map((row) => [row['merchant_category'], row['amount']])).toEqual([
    ['dining', '12500.00'],
    ['dining', '12500.00'],
    ['dining', '12500.00'],
    ['grocery', '99.00'],
    ['grocery', '99.00'],
  ]);

  // The big partition's file (own COPY) and the small one's (partitioned COPY) have the same schema.
  const schema = (dir: string) =>
    query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${join(dir, 'data.parquet')}')`);
  expect(await schema(grocery)).toEqual(await schema(dining));
  expect((await schema(grocery)).map((column) => column['column_name'])).toContain('merchant_category');
});
