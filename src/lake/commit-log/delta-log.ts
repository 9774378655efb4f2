/**
 * The Delta Lake transaction-log format (delta-io PROTOCOL.md), as far as fintech-etl writes and reads it: a table
 * is a folder with `_delta_log/NNNNNNNNNNNNNNNNNNNN.json` entries (one JSON action per line: protocol, metaData,
 * add, remove, commitInfo), classic Parquet checkpoints and `_last_checkpoint`. Following it lets Spark, Trino,
 * Athena and DuckDB's delta reader read a table without fintech-etl.
 */

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface MetadataAction {
  id: string;
  name?: string;
  format: { provider: string; options: Record<string, string> };
  /** The table schema as Spark's JSON schema text. */
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number;
}

export interface AddAction {
  /** Relative to the table root, URI-encoded (see `encodeTablePath`). */
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** JSON text, e.g. `{"numRecords":42}`. */
  stats?: string;
  tags?: Record<string, string>;
}

export interface RemoveAction {
  path: string;
  deletionTimestamp: number;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null>;
  size?: number;
}

export interface CommitInfoAction {
  timestamp: number;
  operation: string;
  operationParameters: Record<string, string>;
  engineInfo: string;
  /** fintech-etl's id of the (possibly multi-table) commit this entry belongs to. */
  txnId: string;
  [field: string]: unknown;
}

export type DeltaAction =
  | { protocol: ProtocolAction }
  | { metaData: MetadataAction }
  | { add: AddAction }
  | { remove: RemoveAction }
  | { commitInfo: CommitInfoAction };

export const ENGINE_INFO = 'fintech-etl/0.1.0';
/** Writers checkpoint every this many versions (Delta's default `delta.checkpointInterval`). */
export const CHECKPOINT_INTERVAL = 10;

export function deltaLogPrefix(table: string): string {
  return `${table}/_delta_log/`;
}

export function padVersion(version: number): string {
  return String(version).padStart(20, '0');
}

export function logEntryKey(table: string, version: number): string {
  return `${deltaLogPrefix(table)}${padVersion(version)}.json`;
}

export function checkpointKey(table: string, version: number): string {
  return `${deltaLogPrefix(table)}${padVersion(version)}.checkpoint.parquet`;
}

export function lastCheckpointKey(table: string): string {
  return `${deltaLogPrefix(table)}_last_checkpoint`;
}

/** The version of a `_delta_log/NNN.json` key, or undefined for any other key. */
export function versionOfLogEntry(key: string): number | undefined {
  const match = /\/_delta_log\/(\d{20})\.json$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** One action per line, as the protocol requires (newline-delimited JSON). */
export function serializeLogEntry(actions: readonly DeltaAction[]): string {
  return `${actions.map((action) => JSON.stringify(action)).join('\n')}\n`;
}

export function parseLogEntry(text: string, key: string): DeltaAction[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as DeltaAction;
      } catch {
        throw new Error(`Delta log entry ${key} line ${index + 1} is not valid JSON`);
      }
    });
}

/**
 * A path in an add/remove action is a URI relative to the table root: each segment is percent-encoded, except
 * `=` (kept readable in `event_date=2025-03-01`, as Spark writes it).
 */
export function encodeTablePath(relativeKey: string): string {
  return relativeKey
    .split('/')
    .map((segment) => encodeURIComponent(segment).replaceAll('%3D', '='))
    .join('/');
}

export function decodeTablePath(path: string): string {
  return path
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
}

/** A column of a table's schema, with a DuckDB type name (`VARCHAR`, `DECIMAL(18,2)`, `TIMESTAMP`, `VARCHAR[]`). */
export interface ColumnDefinition {
  name: string;
  type: string;
  nullable?: boolean;
}

type DeltaType = string | { type: 'array'; elementType: DeltaType; containsNull: boolean };

/** DuckDB type → Delta type name. TIMESTAMP (no zone) is Delta's timestamp_ntz, which needs protocol (3, 7). */
export function deltaTypeOf(duckdbType: string): DeltaType {
  const type = duckdbType.trim().toUpperCase();
  if (type.endsWith('[]'))
    return { type: 'array', elementType: deltaTypeOf(type.slice(0, -2)), containsNull: true };
  const decimal = /^(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return `decimal(${decimal[1]},${decimal[2]})`;
  const simple: Record<string, string> = {
    VARCHAR: 'string',
    TEXT: 'string',
    BIGINT: 'long',
    // A sum or count over a wide type in DuckDB; Delta has no 128-bit integer.
    HUGEINT: 'decimal(38,0)',
    UBIGINT: 'decimal(20,0)',
    INTEGER: 'integer',
    INT: 'integer',
    SMALLINT: 'short',
    TINYINT: 'byte',
    DOUBLE: 'double',
    FLOAT: 'float',
    REAL: 'float',
    BOOLEAN: 'boolean',
    BLOB: 'binary',
    DATE: 'date',
    TIMESTAMP: 'timestamp_ntz',
    TIMESTAMPTZ: 'timestamp',
    'TIMESTAMP WITH TIME ZONE': 'timestamp',
  };
  const delta = simple[type];
  if (!delta) throw new Error(`no Delta type for DuckDB type ${duckdbType}`);
  return delta;
}

/** The `schemaString` of a table's metaData action. */
export function deltaSchemaString(columns: readonly ColumnDefinition[]): string {
  return JSON.stringify({
    type: 'struct',
    fields: columns.map((column) => ({
      name: column.name,
      type: deltaTypeOf(column.type),
      nullable: column.nullable ?? true,
      metadata: {},
    })),
  });
}

/** The lowest protocol that reads the schema: (1, 2), or (3, 7) with `timestampNtz` when a column needs it. */
export function protocolFor(schemaString: string): ProtocolAction {
  if (schemaString.includes('"timestamp_ntz"')) {
    return {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['timestampNtz'],
      writerFeatures: ['timestampNtz'],
    };
  }
  return { minReaderVersion: 1, minWriterVersion: 2 };
}
