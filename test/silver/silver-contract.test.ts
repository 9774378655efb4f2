/**
 * The silver contract is declared once (src/silver/silver-contract.ts): the files silver writes, the README
 * tables and the models' cast lists must all say what it says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { standardSqlType } from '../../src/core/column-type.ts';
import type { IsoDate } from '../../src/core/dates.ts';
import { silverTable } from '../../src/lake/lake-layout.ts';
import { contractSections, contractTable, withContractTables } from '../../src/silver/contract-readme.ts';
import { SILVER_DATASETS, type SilverDatasetName, silverDataset } from '../../src/silver/silver-contract.ts';
import { writeHandbuiltDay } from '../helpers/handbuilt-bronze.ts';
import { committedParquet, createSilverFixture, query } from './silver-fixture.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const declaredTypes = (name: (typeof SILVER_DATASETS)[number]['name']) =>
  silverDataset(name).columns.map((column) => ({
    column_name: column.name,
    column_type: standardSqlType(column.type).toUpperCase(),
  }));

describe('silver contract', () => {
  it('is what src/silver/README.md shows, one table per dataset', () => {
    const readme = readFileSync(join(REPO, 'src/silver/README.md'), 'utf8');
    expect(contractSections(readme).sort()).toEqual(SILVER_DATASETS.map((dataset) => dataset.name).sort());
    // On a difference, run `npx tsx scripts/write-silver-contract.ts`.
    expect(readme).toBe(withContractTables(readme, SILVER_DATASETS));
    expect(readme).toContain(contractTable(silverDataset('transactions')));
  });

  it('is the columns, order and types of the Parquet files silver writes', async () => {
    const f = await createSilverFixture();
    await writeHandbuiltDay(f.lake, '2025-01-30' as IsoDate);
    await f.run('2025-01-30');
    const describe = async (dataset: SilverDatasetName) =>
      query(
        `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${await committedParquet(f.lake, silverTable(dataset))})`,
      );
    for (const dataset of ['transactions', 'customers', 'cards', 'merchants'] as const) {
      expect(await describe(dataset)).toEqual(declaredTypes(dataset));
    }
  });

  it('is what the staging models read and cast each column to (pipeline/: typed_transactions, stg_*)', () => {
    const sources = [
      ['transactions', 'pipeline/macros/typed_transactions.sql'],
      ['customers', 'pipeline/models/staging/stg_customers.sql'],
      ['cards', 'pipeline/models/staging/stg_cards.sql'],
      ['merchants', 'pipeline/models/staging/stg_merchants.sql'],
    ] as const;
    for (const [name, file] of sources) {
      const declared = new Map(silverDataset(name).columns.map((column) => [column.name, column.type]));
      const select = readFileSync(join(REPO, file), 'utf8')
        .split(/\bselect\b/i)[1]!
        .split(/\bfrom\b/i)[0]!;
      // One item a line: `column,` or `cast(column as type) as alias,`.
      const items = select
        .split(/,\s*\n/)
        .map((item) => item.trim())
        .filter(Boolean);
      expect(items.length).toBeGreaterThan(5);
      for (const item of items) {
        const cast = /^cast\((\w+) as ([a-z]+(?:\(\d+, ?\d+\))?)\) as \w+$/i.exec(item);
        const plain = /^(\w+)(?: as \w+)?$/i.exec(item);
        const column = cast?.[1] ?? plain?.[1];
        expect(column, `${file}: ${item}`).toBeDefined();
        expect(declared.has(column!), `${file} reads ${column}, which silver ${name} does not declare`).toBe(
          true,
        );
        // A column read as it is must be text; a cast must be to the declared type.
        const type = cast ? cast[2]!.replace(/\s+/g, '').toLowerCase() : 'varchar';
        expect(type, `${file}: ${item}`).toBe(standardSqlType(declared.get(column!)!));
      }
    }
  });
});
