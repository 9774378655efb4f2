/**
 * Loads `seeds/*.csv` as tables in schema `staging` (dbt's `seed`). Column types come from the seed's YAML
 * `config.column_types`, else are inferred conservatively: a code with leading zeros ("0742") stays text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../core/parse-csv.ts';
import type { ColumnInfo, Warehouse } from '../../warehouse/warehouse.ts';
import type { ModelCompiler } from '../compile/model-compiler.ts';
import { ModelProjectError } from '../model-error.ts';
import type { ModelProject, SeedNode } from '../project/model-project.ts';

export function inferSeedType(values: string[]): string {
  const present = values.filter((value) => value !== '');
  if (present.length === 0) return 'varchar';
  if (present.every((v) => /^-?(0|[1-9]\d{0,17})$/.test(v))) return 'bigint';
  if (present.every((v) => /^-?(0|[1-9]\d{0,15})\.\d{1,8}$/.test(v))) {
    const scale = Math.max(...present.map((v) => v.split('.')[1]!.length));
    return `decimal(18,${scale})`;
  }
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'date';
  if (present.every((v) => /^(true|false)$/i.test(v))) return 'boolean';
  return 'varchar';
}

export async function loadSeed(
  warehouse: Warehouse,
  project: ModelProject,
  compiler: ModelCompiler,
  seed: SeedNode,
): Promise<number> {
  const { header, rows } = parseCsv(readFileSync(join(project.dir, seed.path), 'utf8'));
  if (header.length === 0) throw new ModelProjectError(`${seed.path}: no header line`);
  rows.forEach((row, i) => {
    if (row.length !== header.length) {
      throw new ModelProjectError(
        `${seed.path}: data row ${i + 1} has ${row.length} fields, the header has ${header.length}`,
      );
    }
  });
  const columns: ColumnInfo[] = header.map((name, i) => ({
    name,
    type: seed.columnTypes[name] ?? inferSeedType(rows.map((row) => row[i]!)),
  }));
  await warehouse.createTableFromRows(
    compiler.relationOf(seed.name),
    columns,
    rows.map((row) => row.map((value) => (value === '' ? null : value))),
  );
  return rows.length;
}
