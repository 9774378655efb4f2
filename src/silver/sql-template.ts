/**
 * Loads the SQL of `src/silver/sql/*.sql` and fills its `{{name}}` placeholders with safely quoted literals.
 * SQL stays content (readable, diffable .sql files); values never reach it unquoted, so a file name or a
 * config value with a quote in it cannot change the statement.
 */
import { readFileSync } from 'node:fs';

/** A value substituted into SQL. `sql` is a trusted fragment built by our own code (never user input). */
export type SqlParam =
  | string
  | number
  | bigint
  | boolean
  | null
  | readonly string[]
  | { kind: 'blob'; bytes: Buffer }
  | { kind: 'sql'; text: string };

const cache = new Map<string, string>();

export function loadSql(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./sql/${name}.sql`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** `renderSql('classify-versions', { ingest_date: '2025-03-01' })`; an unknown or unused placeholder throws. */
export function renderSql(name: string, params: Record<string, SqlParam> = {}): string {
  const used = new Set<string>();
  const text = loadSql(name).replace(/\{\{\s*(\w+)\s*\}\}/g, (_match, key: string) => {
    if (!(key in params)) throw new Error(`sql/${name}.sql: no value for {{${key}}}`);
    used.add(key);
    return sqlLiteral(params[key]!);
  });
  for (const key of Object.keys(params)) {
    if (!used.has(key)) throw new Error(`sql/${name}.sql: parameter ${key} is not used`);
  }
  return text;
}

export function sqlLiteral(value: SqlParam): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot put ${value} into SQL`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Array.isArray(value)) return `[${value.map((item) => sqlLiteral(item)).join(', ')}]::VARCHAR[]`;
  const tagged = value as { kind: 'blob'; bytes: Buffer } | { kind: 'sql'; text: string };
  if (tagged.kind === 'blob') return `from_hex('${tagged.bytes.toString('hex')}')`;
  return tagged.text;
}
