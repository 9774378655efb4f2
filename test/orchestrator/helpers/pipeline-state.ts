/**
 * Everything a run leaves that users read, in a form two homes can be compared by: silver (a content hash),
 * the ledger entries (without run ids and times), the warehouse's core tables, marts and audit tables, and
 * the gold files of every mart. What a killed-then-resumed run must leave equal to an uninterrupted one.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import type { Lake } from '../../../src/lake/lake.ts';
import { goldTable, LEDGER_TABLE } from '../../../src/lake/lake-layout.ts';
import type { Warehouse, WarehouseRow } from '../../../src/warehouse/warehouse.ts';
import { MARTS } from '../../helpers/pipeline-harness.ts';
import { silverContentHash } from '../../silver/silver-fixture.ts';

const CORE = [
  'core.fact_transactions',
  'core.dim_customer',
  'core.dim_card',
  'core.dim_merchant',
  'core.agg_customer_daily',
];

/** Columns that name the run or the time a row was written, which differ between two homes by design. */
const RUN_COLUMNS = new Set(['run_id', 'processed_at', 'recorded_at']);

export interface PipelineState {
  silver: string;
  ledger: Record<string, unknown>[];
  warehouse: Record<string, WarehouseRow[]>;
  gold: Record<string, Record<string, unknown>[]>;
}

export async function readPipelineState(lake: Lake, warehouse: Warehouse): Promise<PipelineState> {
  const tables: Record<string, WarehouseRow[]> = {};
  for (const relation of [
    ...CORE,
    ...MARTS.map((mart) => `marts.${mart}`),
    'audit.ledger',
    'audit.quarantine',
  ]) {
    tables[relation] = await rowsWithout(warehouse, relation);
  }
  return {
    silver: await silverContentHash(lake),
    ledger: await ledgerEntries(lake),
    warehouse: tables,
    gold: await goldRows(lake),
  };
}

async function rowsWithout(warehouse: Warehouse, relation: string): Promise<WarehouseRow[]> {
  const [schema, name] = relation.split('.') as [string, string];
  const columns = (await warehouse.columns({ schema, name }))
    .map((column) => column.name)
    .filter((column) => !RUN_COLUMNS.has(column));
  const list = columns.map((column) => warehouse.quoteIdentifier(column)).join(', ');
  const order = columns.map((_, index) => index + 1).join(', ');
  return (await warehouse.query(`select ${list} from ${relation} order by ${order}`)).rows;
}

async function ledgerEntries(lake: Lake): Promise<Record<string, unknown>[]> {
  const entries = await Promise.all(
    (await lake.snapshot(LEDGER_TABLE)).files().map(async (file) => {
      const entry = JSON.parse((await lake.store.get(file.key)).toString('utf8')) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(entry).filter(([key]) => !RUN_COLUMNS.has(key)));
    }),
  );
  return entries.sort((a, b) => String(a['ingest_date']).localeCompare(String(b['ingest_date'])));
}

async function goldRows(lake: Lake): Promise<Record<string, Record<string, unknown>[]>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const gold: Record<string, Record<string, unknown>[]> = {};
    for (const mart of MARTS) {
      const paths = await lake.localPaths((await lake.snapshot(goldTable(mart))).files());
      if (paths.length === 0) {
        gold[mart] = [];
        continue;
      }
      const list = paths.map((path) => `'${path}'`).join(', ');
      const reader = await connection.runAndReadAll(`select * from read_parquet([${list}]) order by all`);
      gold[mart] = reader.getRowObjectsJson() as Record<string, unknown>[];
    }
    return gold;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Silver, ledger, warehouse and gold of `actual` equal `expected`'s (another home that ran the same days), every
 * warehouse relation non-empty. Returns the state read, for further assertions.
 */
export async function expectSamePipelineState(
  actual: { lake: Lake; warehouse: Warehouse },
  expected: { lake: Lake; warehouse: Warehouse },
): Promise<PipelineState> {
  const got = await readPipelineState(actual.lake, actual.warehouse);
  const want = await readPipelineState(expected.lake, expected.warehouse);
  expect(got.silver).toBe(want.silver);
  expect(got.ledger).toEqual(want.ledger);
  for (const relation of Object.keys(want.warehouse)) {
    expect(got.warehouse[relation]?.length, relation).toBeGreaterThan(0);
    expect(got.warehouse[relation], relation).toEqual(want.warehouse[relation]);
  }
  expect(got.gold).toEqual(want.gold);
  return got;
}
