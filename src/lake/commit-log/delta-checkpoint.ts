/**
 * Classic Delta checkpoints (`NNN.checkpoint.parquet`, V1 spec, the checkpoint schema of PROTOCOL.md): the whole
 * reconciled state at one version in one Parquet file, so a reader replays at most CHECKPOINT_INTERVAL - 1 JSON
 * entries after it. Written and read with DuckDB (in memory), whose structs, MAP and LIST columns are the
 * Parquet logical types the protocol names.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectNotFoundError, type ObjectStore } from '../object-store.ts';
import { checkpointKey, type DeltaAction, lastCheckpointKey, serializeLogEntry } from './delta-log.ts';
import { TableSnapshot } from './table-snapshot.ts';

const MAP = 'MAP(VARCHAR, VARCHAR)';
/** The checkpoint's columns: one action per row, the other columns null. */
const CHECKPOINT_COLUMNS = `{
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  add: 'STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags ${MAP})',
  remove: 'STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT)',
  metaData: 'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${MAP}, createdTime BIGINT)',
  protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])'
}`;

export interface LastCheckpoint {
  version: number;
  size: number;
  sizeInBytes?: number;
  numOfAddFiles?: number;
}

/**
 * Writes the checkpoint of `snapshot`, then `_last_checkpoint` pointing at it. Tombstones removed before
 * `tombstonesSince` (ms) are dropped: vacuum no longer needs them.
 */
export async function writeCheckpoint(
  store: ObjectStore,
  snapshot: TableSnapshot,
  tombstonesSince: number,
): Promise<LastCheckpoint> {
  const actions: DeltaAction[] = [
    { protocol: snapshot.protocol! },
    { metaData: snapshot.metadata! },
    ...snapshot.addActions().map((add) => ({ add })),
    ...snapshot
      .removeActions()
      .filter((remove) => remove.deletionTimestamp >= tombstonesSince)
      .map((remove) => ({ remove })),
  ];
  const addCount = snapshot.addActions().length;
  const parquet = await withScratch(async (dir) => {
    const source = join(dir, 'actions.ndjson');
    const target = join(dir, 'checkpoint.parquet');
    await writeFile(source, serializeLogEntry(actions));
    await withDuckDB((run) =>
      run(
        `copy (select * from read_json('${source}', format = 'newline_delimited', columns = ${CHECKPOINT_COLUMNS}))
         to '${target}' (format parquet, compression snappy)`,
      ),
    );
    return readFile(target);
  });
  // The checkpoint may already exist (a writer that crashed before _last_checkpoint): same version, same state.
  await store.put(checkpointKey(snapshot.table, snapshot.version), parquet);
  const pointer: LastCheckpoint = {
    version: snapshot.version,
    size: actions.length,
    sizeInBytes: parquet.length,
    numOfAddFiles: addCount,
  };
  await store.put(lastCheckpointKey(snapshot.table), JSON.stringify(pointer));
  return pointer;
}

export async function readLastCheckpoint(
  store: ObjectStore,
  table: string,
): Promise<LastCheckpoint | undefined> {
  let text: string;
  try {
    text = (await store.get(lastCheckpointKey(table))).toString('utf8');
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as LastCheckpoint;
  } catch {
    // A torn or foreign pointer only costs a longer replay from version 0.
    return undefined;
  }
}

/** The snapshot a checkpoint holds. */
export async function readCheckpoint(
  store: ObjectStore,
  table: string,
  version: number,
): Promise<TableSnapshot> {
  const rows = await withScratch(async (dir) => {
    const file = join(dir, 'checkpoint.parquet');
    await store.getToFile(checkpointKey(table, version), file);
    return withDuckDB(async (run) => {
      const reader = await run(
        `select to_json(add) as add, to_json(remove) as remove, to_json(metaData) as metaData,
           to_json(protocol) as protocol from read_parquet('${file}')`,
      );
      return reader.getRowObjectsJson() as Record<string, string | null>[];
    });
  });
  const actions: DeltaAction[] = [];
  for (const row of rows) {
    if (row['add']) actions.push({ add: withoutNulls(JSON.parse(row['add'])) });
    else if (row['remove']) actions.push({ remove: withoutNulls(JSON.parse(row['remove'])) });
    else if (row['metaData']) actions.push({ metaData: withoutNulls(JSON.parse(row['metaData'])) });
    else if (row['protocol']) actions.push({ protocol: withoutNulls(JSON.parse(row['protocol'])) });
  }
  return TableSnapshot.empty(table).apply(version, actions);
}

/** Parquet has a column for every optional field; JSON actions leave absent fields out. */
function withoutNulls<T>(value: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null)) as T;
}

async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `fintech-checkpoint-${randomUUID().slice(0, 8)}-`));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Run = (sql: string) => Promise<{ getRowObjectsJson(): unknown[] }>;

async function withDuckDB<T>(work: (run: Run) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    return await work((sql) => connection.runAndReadAll(sql));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
