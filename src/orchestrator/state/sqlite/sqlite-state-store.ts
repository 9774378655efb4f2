/**
 * The embedded state store: one SQLite file under home (default `<home>/state.db`), shared safely by several
 * processes (`run`, `serve`, `runs`, workers on this machine). WAL mode lets readers work while one process
 * writes; a busy timeout makes a second writer wait instead of failing; read-modify-write steps (a lease, a
 * silver commit number) run in `BEGIN IMMEDIATE` transactions. better-sqlite3 is synchronous, and every call
 * is a few microseconds, so the async interface costs nothing here.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { IsoDate } from '../../../core/dates.ts';
import type { JsonValue } from '../../definitions/json-value.ts';
import { readMigrations } from '../migrations.ts';
import { mergeFreshness, notQueuedMessage, type Row } from '../record-helpers.ts';
import { recordMappers } from '../record-mappers.ts';
import {
  type LeaseAttempt,
  type LeaseRecord,
  type LeaseRequest,
  type NewRun,
  type NewTry,
  type NewWorker,
  type PartitionFreshness,
  type RunFilter,
  type RunRecord,
  type RunUpdate,
  type SilverWrite,
  type SilverWriteRecord,
  StateConflictError,
  type StateStore,
  type TaskInstanceRecord,
  type TaskInstanceUpdate,
  type TryOutcome,
  type TryRecord,
  type WorkerRecord,
  type WorkerState,
} from '../state-store.ts';

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
// SQLite keeps timestamps as ISO text, JSON as text and flags as 0/1.
const records = recordMappers({
  timestamp: (value) => new Date(String(value)),
  json: (value) => JSON.parse(String(value)) as JsonValue,
  flag: (value) => Number(value) !== 0,
});

export interface SqliteStateStoreOptions {
  /** How long a writer waits for another process's transaction before failing. */
  busyTimeoutMs?: number;
}

export class SqliteStateStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;

  constructor(path: string, options: SqliteStateStoreOptions = {}) {
    this.location = path;
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 30_000}`);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives the process being killed (only a power loss can
    // lose the last ones), at a fraction of FULL's fsyncs per write.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private migrate(): void {
    this.db.exec(
      'create table if not exists schema_migrations (version integer primary key, name text not null, applied_at text not null)',
    );
    const apply = this.db.transaction(() => {
      const current = this.currentVersion();
      for (const migration of readMigrations(MIGRATIONS)) {
        if (migration.version <= current) continue;
        this.db.exec(migration.sql);
        this.db
          .prepare('insert into schema_migrations (version, name, applied_at) values (?, ?, ?)')
          .run(migration.version, migration.name, new Date().toISOString());
      }
    });
    apply.immediate();
  }

  private currentVersion(): number {
    const row = this.db.prepare('select max(version) as version from schema_migrations').get() as Row;
    return Number(row['version'] ?? 0);
  }

  async schemaVersion(): Promise<number> {
    return this.currentVersion();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    try {
      this.db
        .prepare(
          `insert into runs (run_id, dag, logical_date, state, trigger, conf, started_at, heartbeat_at, pid, host,
             command, as_of_date, bronze_fingerprints, project_fingerprint)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          run.runId,
          run.dag,
          run.logicalDate,
          run.state,
          run.trigger,
          JSON.stringify(run.conf),
          run.startedAt.toISOString(),
          run.startedAt.toISOString(),
          run.process.pid,
          run.process.host,
          run.process.command,
          run.facts?.asOfDate ?? null,
          jsonOrNull(run.facts?.bronzeFingerprints),
          jsonOrNull(run.facts?.projectFingerprint),
        );
    } catch (error) {
      if (isConstraintError(error)) {
        throw new StateConflictError(
          `another process already started a run of ${run.dag} for ${run.logicalDate} (or run id ${run.runId} exists)`,
        );
      }
      throw error;
    }
    return (await this.getRun(run.runId))!;
  }

  async updateRun(runId: string, update: RunUpdate): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown) => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (update.state !== undefined) set('state', update.state);
    if (update.failureKind !== undefined) set('failure_kind', update.failureKind);
    if (update.error !== undefined) set('error', update.error);
    if (update.finishedAt !== undefined) set('finished_at', update.finishedAt?.toISOString() ?? null);
    if (update.heartbeatAt !== undefined) set('heartbeat_at', update.heartbeatAt.toISOString());
    if (update.process !== undefined) {
      set('pid', update.process.pid);
      set('host', update.process.host);
      set('command', update.process.command);
    }
    if (update.facts?.asOfDate !== undefined) set('as_of_date', update.facts.asOfDate);
    if (update.facts?.bronzeFingerprints !== undefined) {
      set('bronze_fingerprints', JSON.stringify(update.facts.bronzeFingerprints));
    }
    if (update.facts?.projectFingerprint !== undefined) {
      set('project_fingerprint', JSON.stringify(update.facts.projectFingerprint));
    }
    if (update.conf !== undefined) set('conf', JSON.stringify(update.conf));
    if (sets.length === 0) return;
    try {
      this.db.prepare(`update runs set ${sets.join(', ')} where run_id = ?`).run(...values, runId);
    } catch (error) {
      if (isConstraintError(error)) {
        throw new StateConflictError(
          `run ${runId} cannot be reopened: another run of its date is unfinished`,
        );
      }
      throw error;
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = this.db.prepare('select * from runs where run_id = ?').get(runId) as Row | undefined;
    return row ? records.run(row) : undefined;
  }

  async latestRun(dag: string, logicalDate: IsoDate): Promise<RunRecord | undefined> {
    const row = this.db
      .prepare(
        'select * from runs where dag = ? and logical_date = ? order by started_at desc, rowid desc limit 1',
      )
      .get(dag, logicalDate) as Row | undefined;
    return row ? records.run(row) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.dag !== undefined) {
      where.push('dag = ?');
      values.push(filter.dag);
    }
    if (filter.logicalDate !== undefined) {
      where.push('logical_date = ?');
      values.push(filter.logicalDate);
    }
    if (filter.from !== undefined) {
      where.push('logical_date >= ?');
      values.push(filter.from);
    }
    if (filter.to !== undefined) {
      where.push('logical_date <= ?');
      values.push(filter.to);
    }
    if (filter.states?.length) {
      where.push(`state in (${filter.states.map(() => '?').join(', ')})`);
      values.push(...filter.states);
    }
    const rows = this.db
      .prepare(
        `select * from runs ${where.length ? `where ${where.join(' and ')}` : ''}
         order by started_at desc, rowid desc ${filter.limit !== undefined ? 'limit ?' : ''}`,
      )
      .all(...values, ...(filter.limit !== undefined ? [filter.limit] : [])) as Row[];
    return rows.map(records.run);
  }

  async startTry(newTry: NewTry): Promise<void> {
    this.insertTry(newTry, () => undefined);
  }

  async startQueuedTry(newTry: NewTry): Promise<void> {
    this.insertTry(newTry, () => {
      const instance = this.db
        .prepare('select state, try_number from task_instances where run_id = ? and task = ?')
        .get(newTry.runId, newTry.task) as Row | undefined;
      if (instance?.['state'] !== 'queued' || Number(instance['try_number']) !== newTry.tryNumber) {
        throw new StateConflictError(notQueuedMessage(newTry, instance));
      }
    });
  }

  async queueTask(runId: string, task: string, tryNumber: number, at: Date): Promise<void> {
    this.db
      .prepare(
        `insert into task_instances (run_id, task, state, try_number, output, reused_from_run, updated_at)
         values (?, ?, 'queued', ?, null, null, ?)
         on conflict (run_id, task) do update set state = 'queued', try_number = excluded.try_number,
           output = null, reused_from_run = null, updated_at = excluded.updated_at`,
      )
      .run(runId, task, tryNumber, at.toISOString());
  }

  /** Inserts a running try and points its instance at it, after `check` (which may refuse) in one transaction. */
  private insertTry(newTry: NewTry, check: () => void): void {
    const start = this.db.transaction(() => {
      check();
      this.db
        .prepare(
          `insert into task_tries (run_id, task, try_number, state, started_at, heartbeat_at, pid, host, command,
             log_path)
           values (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          newTry.runId,
          newTry.task,
          newTry.tryNumber,
          newTry.startedAt.toISOString(),
          newTry.startedAt.toISOString(),
          newTry.process.pid,
          newTry.process.host,
          newTry.process.command,
          newTry.logPath,
        );
      this.db
        .prepare(
          `insert into task_instances (run_id, task, state, try_number, output, reused_from_run, updated_at)
           values (?, ?, 'running', ?, null, null, ?)
           on conflict (run_id, task) do update set state = 'running', try_number = excluded.try_number,
             output = null, reused_from_run = null, updated_at = excluded.updated_at`,
        )
        .run(newTry.runId, newTry.task, newTry.tryNumber, newTry.startedAt.toISOString());
    });
    try {
      start.immediate();
    } catch (error) {
      if (error instanceof StateConflictError) throw error;
      if (isConstraintError(error)) {
        throw new StateConflictError(
          `try ${newTry.tryNumber} of task ${newTry.task} in run ${newTry.runId} was already started by another process`,
        );
      }
      throw error;
    }
  }

  async heartbeatTry(runId: string, task: string, tryNumber: number, at: Date): Promise<void> {
    this.db
      .prepare(
        `update task_tries set heartbeat_at = ? where run_id = ? and task = ? and try_number = ? and state = 'running'`,
      )
      .run(at.toISOString(), runId, task, tryNumber);
  }

  async finishTry(runId: string, task: string, tryNumber: number, outcome: TryOutcome): Promise<boolean> {
    const finish = this.db.transaction(() => {
      const failed = outcome.state === 'failed';
      const ended = this.db
        .prepare(
          `update task_tries set state = @state, failure_kind = @kind, error = @error, finished_at = @at,
             retryable = @retryable
           where run_id = @runId and task = @task and try_number = @tryNumber
             and (state = 'running' or (state = 'failed' and @state = 'failed' and failure_kind = @kind))`,
        )
        .run({
          state: outcome.state,
          kind: failed ? outcome.failureKind : null,
          error: failed ? outcome.error : null,
          at: outcome.finishedAt.toISOString(),
          retryable: failed && outcome.retryable === false ? 0 : 1,
          runId,
          task,
          tryNumber,
        });
      if (ended.changes === 0) return false;
      // The instance follows only if this is still its latest try (a later try may have started meanwhile).
      this.db
        .prepare(
          `update task_instances set state = ?, output = ?, updated_at = ?
           where run_id = ? and task = ? and try_number = ?`,
        )
        .run(
          outcome.state,
          outcome.state === 'success' ? JSON.stringify(outcome.output) : null,
          outcome.finishedAt.toISOString(),
          runId,
          task,
          tryNumber,
        );
      return true;
    });
    return finish.immediate();
  }

  async setTaskInstance(runId: string, task: string, update: TaskInstanceUpdate, at: Date): Promise<void> {
    const success = update.state === 'success';
    this.db
      .prepare(
        `insert into task_instances (run_id, task, state, try_number, output, reused_from_run, updated_at)
         values (?, ?, ?, 0, ?, ?, ?)
         on conflict (run_id, task) do update set state = excluded.state, output = excluded.output,
           reused_from_run = excluded.reused_from_run, updated_at = excluded.updated_at`,
      )
      .run(
        runId,
        task,
        update.state,
        success ? JSON.stringify(update.output) : null,
        success ? update.reusedFromRun : null,
        at.toISOString(),
      );
  }

  async taskInstances(runIds: string | readonly string[]): Promise<TaskInstanceRecord[]> {
    const ids = typeof runIds === 'string' ? [runIds] : [...runIds];
    const rows: Row[] = [];
    // SQLite limits bound parameters per statement; plan reads hundreds of runs at once.
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500);
      rows.push(
        ...(this.db
          .prepare(
            `select * from task_instances where run_id in (${chunk.map(() => '?').join(', ')}) order by run_id, task`,
          )
          .all(...chunk) as Row[]),
      );
    }
    return rows.map(records.taskInstance);
  }

  async tries(runId: string, task?: string): Promise<TryRecord[]> {
    const rows = (
      task === undefined
        ? this.db
            .prepare('select * from task_tries where run_id = ? order by started_at, task, try_number')
            .all(runId)
        : this.db
            .prepare('select * from task_tries where run_id = ? and task = ? order by try_number')
            .all(runId, task)
    ) as Row[];
    return rows.map(records.try);
  }

  async runningTries(): Promise<TryRecord[]> {
    const rows = this.db
      .prepare(`select * from task_tries where state = 'running' order by started_at, run_id, task`)
      .all() as Row[];
    return rows.map(records.try);
  }

  async registerWorker(worker: NewWorker): Promise<void> {
    this.db
      .prepare(
        `insert into workers (worker_id, pid, host, command, queue, tasks, concurrency, state, started_at,
           heartbeat_at)
         values (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
      )
      .run(
        worker.workerId,
        worker.process.pid,
        worker.process.host,
        worker.process.command,
        worker.queue,
        JSON.stringify(worker.tasks),
        worker.concurrency,
        worker.startedAt.toISOString(),
        worker.startedAt.toISOString(),
      );
  }

  async updateWorker(workerId: string, update: { heartbeatAt: Date; state?: WorkerState }): Promise<void> {
    const at = update.heartbeatAt.toISOString();
    this.db
      .prepare(
        `update workers set heartbeat_at = ?, state = coalesce(?, state),
           stopped_at = case when ? = 'stopped' then ? else stopped_at end
         where worker_id = ?`,
      )
      .run(at, update.state ?? null, update.state ?? null, at, workerId);
  }

  async listWorkers(filter: { includeStopped?: boolean } = {}): Promise<WorkerRecord[]> {
    const rows = this.db
      .prepare(
        `select * from workers ${filter.includeStopped ? '' : `where state <> 'stopped'`}
         order by started_at desc, worker_id`,
      )
      .all() as Row[];
    return rows.map(records.worker);
  }

  async acquireLease(request: LeaseRequest): Promise<LeaseAttempt> {
    const attempt = this.db.transaction((): LeaseAttempt => {
      const current = this.db.prepare('select * from leases where name = ?').get(request.name) as
        | Row
        | undefined;
      if (current) {
        const record = records.lease(current);
        const free =
          record.expiresAt.getTime() <= request.now.getTime() || record.token === request.replaceToken;
        if (!free) return { acquired: false, current: record };
      }
      const now = request.now.toISOString();
      const expires = new Date(request.now.getTime() + request.ttlMs).toISOString();
      this.db
        .prepare(
          `insert into leases (name, token, pid, host, command, acquired_at, renewed_at, expires_at)
           values (?, ?, ?, ?, ?, ?, ?, ?)
           on conflict (name) do update set token = excluded.token, pid = excluded.pid, host = excluded.host,
             command = excluded.command, acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at,
             expires_at = excluded.expires_at`,
        )
        .run(
          request.name,
          request.token,
          request.holder.pid,
          request.holder.host,
          request.holder.command,
          now,
          now,
          expires,
        );
      return {
        acquired: true,
        lease: records.lease(this.db.prepare('select * from leases where name = ?').get(request.name) as Row),
      };
    });
    return attempt.immediate();
  }

  async renewLease(name: string, token: string, now: Date, ttlMs: number): Promise<LeaseRecord | undefined> {
    const result = this.db
      .prepare('update leases set renewed_at = ?, expires_at = ? where name = ? and token = ?')
      .run(now.toISOString(), new Date(now.getTime() + ttlMs).toISOString(), name, token);
    return result.changes ? this.getLease(name) : undefined;
  }

  async releaseLease(name: string, token: string): Promise<void> {
    this.db.prepare('delete from leases where name = ? and token = ?').run(name, token);
  }

  async getLease(name: string): Promise<LeaseRecord | undefined> {
    const row = this.db.prepare('select * from leases where name = ?').get(name) as Row | undefined;
    return row ? records.lease(row) : undefined;
  }

  async recordSilverWrites(runId: string, writes: readonly SilverWrite[], at: Date): Promise<number> {
    const record = this.db.transaction(() => {
      const latest = this.latestSilverCommit();
      if (writes.length === 0) return latest;
      const commit = latest + 1;
      const insert = this.db.prepare(
        `insert or ignore into silver_writes (commit_number, run_id, dataset, partition_date, written_at)
         values (?, ?, ?, ?, ?)`,
      );
      for (const write of writes)
        insert.run(commit, runId, write.dataset, write.partitionDate, at.toISOString());
      return commit;
    });
    return record.immediate();
  }

  private latestSilverCommit(): number {
    const row = this.db.prepare('select max(commit_number) as latest from silver_writes').get() as Row;
    return Number(row['latest'] ?? 0);
  }

  async recordMartsBuilt(runId: string, partitionDates: readonly IsoDate[], at: Date): Promise<number> {
    const record = this.db.transaction(() => {
      const commit = this.latestSilverCommit();
      const insert = this.db.prepare(
        `insert into mart_builds (run_id, partition_date, silver_commit, built_at) values (?, ?, ?, ?)
         on conflict (run_id, partition_date) do update set silver_commit = excluded.silver_commit,
           built_at = excluded.built_at`,
      );
      for (const date of new Set(partitionDates)) insert.run(runId, date, commit, at.toISOString());
      this.db.prepare('update runs set silver_commit = ? where run_id = ?').run(commit, runId);
      return commit;
    });
    return record.immediate();
  }

  async silverWrites(filter: {
    runIds?: readonly string[];
    from?: IsoDate;
    to?: IsoDate;
  }): Promise<SilverWriteRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.runIds) {
      if (filter.runIds.length === 0) return [];
      where.push(`run_id in (select value from json_each(?))`);
      values.push(JSON.stringify(filter.runIds));
    }
    if (filter.from !== undefined) {
      where.push('partition_date >= ?');
      values.push(filter.from);
    }
    if (filter.to !== undefined) {
      where.push('partition_date <= ?');
      values.push(filter.to);
    }
    const rows = this.db
      .prepare(
        `select * from silver_writes ${where.length ? `where ${where.join(' and ')}` : ''}
         order by commit_number, dataset, partition_date`,
      )
      .all(...values) as Row[];
    return rows.map(records.silverWrite);
  }

  async partitionFreshness(from: IsoDate, to: IsoDate): Promise<PartitionFreshness[]> {
    const writes = this.db
      .prepare(
        `select partition_date, commit_number, run_id, dataset from (
           select *, row_number() over (partition by partition_date order by commit_number desc, dataset) as rank
           from silver_writes where partition_date between ? and ?)
         where rank = 1`,
      )
      .all(from, to) as Row[];
    const builds = this.db
      .prepare(
        `select partition_date, silver_commit, run_id from (
           select *, row_number() over (partition by partition_date order by silver_commit desc, built_at desc)
             as rank
           from mart_builds where partition_date between ? and ?)
         where rank = 1`,
      )
      .all(from, to) as Row[];
    return mergeFreshness(writes, builds);
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function isConstraintError(error: unknown): boolean {
  return (error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') ?? false;
}
