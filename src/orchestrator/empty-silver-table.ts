/** DDL of an empty table shaped like a silver dataset (sql/empty-silver-<table>.sql). */
import { readFileSync } from 'node:fs';
import type { SilverTable } from '../warehouse/warehouse.ts';

export function emptySilverTableSql(table: SilverTable, quotedRelation: string): string {
  const template = readFileSync(new URL(`./sql/empty-silver-${table}.sql`, import.meta.url), 'utf8');
  return template.replace('{{relation}}', quotedRelation);
}
