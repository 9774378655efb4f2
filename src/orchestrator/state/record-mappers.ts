/**
 * Row → record mapping of both state stores: the same tables and columns give the same records, so the
 * contract suite compares them with `toEqual`. What differs between the engines is only how a driver returns
 * three kinds of column (a `ColumnDecoder`): SQLite keeps timestamps and JSON as text and flags as 0/1,
 * PostgreSQL returns `Date`s, parsed `jsonb` and booleans.
 */
import type { IsoDate } from '../../core/dates.ts';
import type { JsonObject, JsonValue } from '../definitions/json-value.ts';
import { compact, type Row } from './record-helpers.ts';
import type {
  LeaseRecord,
  ProcessIdentity,
  RunRecord,
  SilverWriteRecord,
  TaskInstanceRecord,
  TryRecord,
  WorkerRecord,
  WorkerState,
} from './state-store.ts';

/** How an engine's driver returns a non-null timestamp, JSON or flag column. */
export interface ColumnDecoder {
  timestamp(value: unknown): Date;
  json(value: unknown): JsonValue;
  flag(value: unknown): boolean;
}

export interface RecordMappers {
  run(row: Row): RunRecord;
  taskInstance(row: Row): TaskInstanceRecord;
  try(row: Row): TryRecord;
  lease(row: Row): LeaseRecord;
  worker(row: Row): WorkerRecord;
  silverWrite(row: Row): SilverWriteRecord;
}

/** The mappers of one engine, from how its driver returns columns. */
export function recordMappers(decode: ColumnDecoder): RecordMappers {
  const isNull = (value: unknown): value is null | undefined => value === null || value === undefined;
  const optionalString = (value: unknown) => (isNull(value) ? undefined : String(value));
  const optionalTimestamp = (value: unknown) => (isNull(value) ? undefined : decode.timestamp(value));
  const optionalJson = (value: unknown) => (isNull(value) ? undefined : decode.json(value));
  const processOf = (row: Row): ProcessIdentity => ({
    pid: Number(row['pid']),
    host: String(row['host']),
    command: String(row['command']),
  });

  return {
    run: (row) =>
      compact({
        runId: String(row['run_id']),
        dag: String(row['dag']),
        logicalDate: String(row['logical_date']) as IsoDate,
        state: row['state'] as RunRecord['state'],
        failureKind: optionalString(row['failure_kind']) as RunRecord['failureKind'],
        error: optionalString(row['error']),
        trigger: row['trigger'] as RunRecord['trigger'],
        conf: decode.json(row['conf']) as JsonObject,
        startedAt: decode.timestamp(row['started_at']),
        finishedAt: optionalTimestamp(row['finished_at']),
        heartbeatAt: decode.timestamp(row['heartbeat_at']),
        process: processOf(row),
        asOfDate: optionalString(row['as_of_date']) as IsoDate | undefined,
        bronzeFingerprints: optionalJson(row['bronze_fingerprints']) as RunRecord['bronzeFingerprints'],
        projectFingerprint: optionalJson(row['project_fingerprint']) as RunRecord['projectFingerprint'],
        silverCommit: row['silver_commit'] === null ? undefined : Number(row['silver_commit']),
      }),
    taskInstance: (row) =>
      compact({
        runId: String(row['run_id']),
        task: String(row['task']),
        state: row['state'] as TaskInstanceRecord['state'],
        tryNumber: Number(row['try_number']),
        output: row['state'] === 'success' ? (optionalJson(row['output']) ?? null) : undefined,
        reusedFromRun: optionalString(row['reused_from_run']),
        updatedAt: decode.timestamp(row['updated_at']),
      }),
    try: (row) =>
      compact({
        runId: String(row['run_id']),
        task: String(row['task']),
        tryNumber: Number(row['try_number']),
        state: row['state'] as TryRecord['state'],
        failureKind: optionalString(row['failure_kind']) as TryRecord['failureKind'],
        error: optionalString(row['error']),
        startedAt: decode.timestamp(row['started_at']),
        finishedAt: optionalTimestamp(row['finished_at']),
        heartbeatAt: decode.timestamp(row['heartbeat_at']),
        process: processOf(row),
        logPath: String(row['log_path']),
        // Only a failed try carries the flag, and only when it must not be retried.
        retryable: row['state'] === 'failed' && decode.flag(row['retryable']) === false ? false : undefined,
      }),
    lease: (row) => ({
      name: String(row['name']),
      token: String(row['token']),
      holder: processOf(row),
      acquiredAt: decode.timestamp(row['acquired_at']),
      renewedAt: decode.timestamp(row['renewed_at']),
      expiresAt: decode.timestamp(row['expires_at']),
    }),
    worker: (row) =>
      compact({
        workerId: String(row['worker_id']),
        process: processOf(row),
        queue: String(row['queue']),
        tasks: decode.json(row['tasks']) as string[],
        concurrency: Number(row['concurrency']),
        state: row['state'] as WorkerState,
        startedAt: decode.timestamp(row['started_at']),
        heartbeatAt: decode.timestamp(row['heartbeat_at']),
        stoppedAt: optionalTimestamp(row['stopped_at']),
      }),
    silverWrite: (row) => ({
      commit: Number(row['commit_number']),
      runId: String(row['run_id']),
      dataset: String(row['dataset']),
      partitionDate: String(row['partition_date']) as IsoDate,
      writtenAt: decode.timestamp(row['written_at']),
    }),
  };
}
