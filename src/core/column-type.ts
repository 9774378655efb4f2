/**
 * A column as a contract declares it (src/silver/silver-contract.ts), in types every engine maps to its own:
 * the warehouse creates tables from these (src/warehouse: DuckDB and PostgreSQL spell them as standard SQL,
 * Redshift adds VARCHAR lengths), and READMEs and tests print and compare them.
 */
export type ColumnType =
  /** Text; `maxLength` is the widest value the contract allows (engines that size text, Redshift, use it). */
  | { kind: 'varchar'; maxLength?: number }
  | { kind: 'integer' }
  | { kind: 'bigint' }
  | { kind: 'boolean' }
  | { kind: 'date' }
  /** Without time zone: the contract stores UTC. */
  | { kind: 'timestamp' }
  | { kind: 'decimal'; precision: number; scale: number };

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/** The standard SQL spelling, lower case (`varchar`, `decimal(18,2)`): what DuckDB and PostgreSQL take. */
export function standardSqlType(type: ColumnType): string {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`;
    case 'varchar':
    case 'integer':
    case 'bigint':
    case 'boolean':
    case 'date':
    case 'timestamp':
      return type.kind;
  }
}
