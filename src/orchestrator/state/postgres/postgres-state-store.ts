/**
 * The state store on PostgreSQL (`state: postgres://…`): what workers on several machines share (DESIGN.md §8).
 * Tables live in the `fintech_state` schema, so the state can sit in the warehouse's database. Read-modify-write
 * steps run in transactions with row locks (a lease) or a sequence (silver commit numbers); migrations run under
 * an advisory lock, so processes opening the store at once apply each one exactly once.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { IsoDate } from '../../../core/dates.ts';
import { redact } from '../../../core/redact.ts';
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
// node-postgres returns timestamptz as Date, jsonb parsed and booleans as booleans.
const records = recordMappers({
  timestamp: (value) => value as Date,
  json: (value) => value as JsonValue,
  flag: (value) => value as boolean,
});
const SCHEMA = 'fintech_state';
/** Any constant: the advisory lock that serializes migrations of this schema. */
const MIGRATION_LOCK = 72_041_022;
const DATE_OID = 1082;

// Calendar dates stay `YYYY-MM-DD` strings (a JS Date would shift them by the machine's zone).
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text'),
};

export interface PostgresStateStoreOptions {
  /** Used when the URL holds no password (config `state_password`). */
  password?: string;
  maxConnections?: number;
}

export class PostgresStateStore implements StateStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;

  private constructor(url: string, options: PostgresStateStoreOptions) {
    this.location = redact(url);
    this.pool = new pg.Pool({
      connectionString: url,
      ...(options.password ? { password: options.password } : {}),
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: 15_000,
      types,
    });
    // An idle client losing its server connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Connects and applies pending migrations. */
  static async open(url: string, options: PostgresStateStoreOptions = {}): Promise<PostgresStateStore> {
    const store = new PostgresStateStore(url, options);
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(`create schema if not exists ${SCHEMA}`);
      await client.query(
        `create table if not exists ${SCHEMA}.schema_migrations
           (version integer primary key, name text not null, applied_at timestamptz not null)`,
      );
      const current = await this.versionWith(client);
      for (const migration of readMigrations(MIGRATIONS)) {
        if (migration.version <= current) continue;
        await client.query(migration.sql);
        await client.query(
          `insert into ${SCHEMA}.schema_migrations (version, name, applied_at) values ($1, $2, now())`,
          [migration.version, migration.name],
        );
      }
    });
  }

  private async versionWith(client: pg.PoolClient | pg.Pool): Promise<number> {
    const { rows } = await client.query(`select max(version) as version from ${SCHEMA}.schema_migrations`);
    return Number(rows[0]?.version ?? 0);
  }

  async schemaVersion(): Promise<number> {
    return this.versionWith(this.pool);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async createRun(run: NewRun): Promise<RunRecord> {
    try {
      const { rows } = await this.pool.query(
        `insert into ${SCHEMA}.runs (run_id, dag, logical_date, state, trigger, conf, started_at, heartbeat_at, pid,
           host, command, as_of_date, bronze_fingerprints, project_fingerprint)
         values ($1, $2, $3, $4, $5, $6::jsonb, $7, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb)
         returning *`,
        [
          run.runId,
          run.dag,
          run.logicalDate,
          run.state,
          run.trigger,
          JSON.stringify(run.conf),
          run.startedAt,
          run.process.pid,
          run.process.host,
          run.process.command,
          run.facts?.asOfDate ?? null,
          jsonOrNull(run.facts?.bronzeFingerprints),
          jsonOrNull(run.facts?.projectFingerprint),
        ],
      );
      return records.run(rows[0]);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StateConflictError(
          `another process already started a run of ${run.dag} for ${run.logicalDate} (or run id ${run.runId} exists)`,
        );
      }
      throw error;
    }
  }

  async updateRun(runId: string, update: RunUpdate): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown, cast = '') => {
      values.push(value);
      sets.push(`${column} = $${values.length}${cast}`);
    };
    if (update.state !== undefined) set('state', update.state);
    if (update.failureKind !== undefined) set('failure_kind', update.failureKind);
    if (update.error !== undefined) set('error', update.error);
    if (update.finishedAt !== undefined) set('finished_at', update.finishedAt);
    if (update.heartbeatAt !== undefined) set('heartbeat_at', update.heartbeatAt);
    if (update.process !== undefined) {
      set('pid', update.process.pid);
      set('host', update.process.host);
      set('command', update.process.command);
    }
    if (update.facts?.asOfDate !== undefined) set('as_of_date', update.facts.asOfDate);
    if (update.facts?.bronzeFingerprints !== undefined) {
      set('bronze_fingerprints', JSON.stringify(update.facts.bronzeFingerprints), '::jsonb');
    }
    if (update.facts?.projectFingerprint !== undefined) {
      set('project_fingerprint', JSON.stringify(update.facts.projectFingerprint), '::jsonb');
    }
    if (update.conf !== undefined) set('conf', JSON.stringify(update.conf), '::jsonb');
    if (sets.length === 0) return;
    values.push(runId);
    try {
      await this.pool.query(
        `update ${SCHEMA}.runs set ${sets.join(', ')} where run_id = $${values.length}`,
        values,
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StateConflictError(
          `run ${runId} cannot be reopened: another run of its date is unfinished`,
        );
      }
      throw error;
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.pool.query(`select * from ${SCHEMA}.runs where run_id = $1`, [runId]);
    return rows[0] ? records.run(rows[0]) : undefined;
  }

  async latestRun(dag: string, logicalDate: IsoDate): Promise<RunRecord | undefined> {
    const { rows } = await this.pool.query(
      `select * from ${SCHEMA}.runs where dag = $1 and logical_date = $2 order by started_at desc, run_id desc limit 1`,
      [dag, logicalDate],
    );
    return rows[0] ? records.run(rows[0]) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      where.push(condition(`$${values.length}`));
    };
    if (filter.dag !== undefined) add((p) => `dag = ${p}`, filter.dag);
    if (filter.logicalDate !== undefined) add((p) => `logical_date = ${p}`, filter.logicalDate);
    if (filter.from !== undefined) add((p) => `logical_date >= ${p}`, filter.from);
    if (filter.to !== undefined) add((p) => `logical_date <= ${p}`, filter.to);
    if (filter.states?.length) add((p) => `state = any(${p})`, filter.states);
    let sql = `select * from ${SCHEMA}.runs ${where.length ? `where ${where.join(' and ')}` : ''}
               order by started_at desc, run_id desc`;
    if (filter.limit !== undefined) {
      values.push(filter.limit);
      sql += ` limit $${values.length}`;
    }
    const { rows } = await this.pool.query(sql, values);
    return rows.map(records.run);
  }

  async startTry(newTry: NewTry): Promise<void> {
    await this.insertTry(newTry, async () => undefined);
  }

  async startQueuedTry(newTry: NewTry): Promise<void> {
    await this.insertTry(newTry, async (client) => {
      // The row lock holds off a second delivery of the same job until this transaction ends.
      const { rows } = await client.query(
        `select state, try_number from ${SCHEMA}.task_instances where run_id = $1 and task = $2 for update`,
        [newTry.runId, newTry.task],
      );
      const instance = rows[0] as Row | undefined;
      if (instance?.['state'] !== 'queued' || Number(instance['try_number']) !== newTry.tryNumber) {
        throw new StateConflictError(notQueuedMessage(newTry, instance));
      }
    });
  }

  async queueTask(runId: string, task: string, tryNumber: number, at: Date): Promise<void> {
    await this.pool.query(
      `insert into ${SCHEMA}.task_instances (run_id, task, state, try_number, output, reused_from_run, updated_at)
       values ($1, $2, 'queued', $3, null, null, $4)
       on conflict (run_id, task) do update set state = 'queued', try_number = excluded.try_number,
         output = null, reused_from_run = null, updated_at = excluded.updated_at`,
      [runId, task, tryNumber, at],
    );
  }

  /** Inserts a running try and points its instance at it, after `check` (which may refuse) in one transaction. */
  private async insertTry(newTry: NewTry, check: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    try {
      await this.transaction(async (client) => {
        await check(client);
        await client.query(
          `insert into ${SCHEMA}.task_tries (run_id, task, try_number, state, started_at, heartbeat_at, pid, host,
             command, log_path)
           values ($1, $2, $3, 'running', $4, $4, $5, $6, $7, $8)`,
          [
            newTry.runId,
            newTry.task,
            newTry.tryNumber,
            newTry.startedAt,
            newTry.process.pid,
            newTry.process.host,
            newTry.process.command,
            newTry.logPath,
          ],
        );
        await client.query(
          `insert into ${SCHEMA}.task_instances (run_id, task, state, try_number, output, reused_from_run, updated_at)
           values ($1, $2, 'running', $3, null, null, $4)
           on conflict (run_id, task) do update set state = 'running', try_number = excluded.try_number,
             output = null, reused_from_run = null, updated_at = excluded.updated_at`,
          [newTry.runId, newTry.task, newTry.tryNumber, newTry.startedAt],
        );
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StateConflictError(
          `try ${newTry.tryNumber} of task ${newTry.task} in run ${newTry.runId} was already started by another process`,
        );
      }
      throw error;
    }
  }

  async heartbeatTry(runId: string, task: string, tryNumber: number, at: Date): Promise<void> {
    await this.pool.query(
      `update ${SCHEMA}.task_tries set heartbeat_at = $1
       where run_id = $2 and task = $3 and try_number = $4 and state = 'running'`,
      [at, runId, task, tryNumber],
    );
  }

  async finishTry(runId: string, task: string, tryNumber: number, outcome: TryOutcome): Promise<boolean> {
    const failed = outcome.state === 'failed';
    return this.transaction(async (client) => {
      const ended = await client.query(
        `update ${SCHEMA}.task_tries set state = $1, failure_kind = $2, error = $3, finished_at = $4,
           retryable = $8
         where run_id = $5 and task = $6 and try_number = $7
           and (state = 'running' or (state = 'failed' and $1 = 'failed' and failure_kind = $2))`,
        [
          outcome.state,
          failed ? outcome.failureKind : null,
          failed ? outcome.error : null,
          outcome.finishedAt,
          runId,
          task,
          tryNumber,
          !(failed && outcome.retryable === false),
        ],
      );
      if (ended.rowCount === 0) return false;
      // The instance follows only if this is still its latest try (a later try may have started meanwhile).
      await client.query(
        `update ${SCHEMA}.task_instances set state = $1, output = $2::jsonb, updated_at = $3
         where run_id = $4 and task = $5 and try_number = $6`,
        [
          outcome.state,
          outcome.state === 'success' ? JSON.stringify(outcome.output) : null,
          outcome.finishedAt,
          runId,
          task,
          tryNumber,
        ],
      );
      return true;
    });
  }

  async setTaskInstance(runId: string, task: string, update: TaskInstanceUpdate, at: Date): Promise<void> {
    const success = update.state === 'success';
    await this.pool.query(
      `insert into ${SCHEMA}.task_instances (run_id, task, state, try_number, output, reused_from_run, updated_at)
       values ($1, $2, $3, 0, $4::jsonb, $5, $6)
       on conflict (run_id, task) do update set state = excluded.state, output = excluded.output,
         reused_from_run = excluded.reused_from_run, updated_at = excluded.updated_at`,
      [
        runId,
        task,
        update.state,
        success ? JSON.stringify(update.output) : null,
        success ? update.reusedFromRun : null,
        at,
      ],
    );
  }

  async taskInstances(runIds: string | readonly string[]): Promise<TaskInstanceRecord[]> {
    const ids = typeof runIds === 'string' ? [runIds] : [...runIds];
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query(
      `select i.* from ${SCHEMA}.task_instances i where i.run_id = any($1) order by i.run_id, i.task`,
      [ids],
    );
    return rows.map(records.taskInstance);
  }

  async tries(runId: string, task?: string): Promise<TryRecord[]> {
    const { rows } =
      task === undefined
        ? await this.pool.query(
            `select * from ${SCHEMA}.task_tries where run_id = $1 order by started_at, task, try_number`,
            [runId],
          )
        : await this.pool.query(
            `select * from ${SCHEMA}.task_tries where run_id = $1 and task = $2 order by try_number`,
            [runId, task],
          );
    return rows.map(records.try);
  }

  async runningTries(): Promise<TryRecord[]> {
    const { rows } = await this.pool.query(
      `select * from ${SCHEMA}.task_tries where state = 'running' order by started_at, run_id, task`,
    );
    return rows.map(records.try);
  }

  async registerWorker(worker: NewWorker): Promise<void> {
    await this.pool.query(
      `insert into ${SCHEMA}.workers (worker_id, pid, host, command, queue, tasks, concurrency, state, started_at,
         heartbeat_at)
       values ($1, $2, $3, $4, $5, $6::jsonb, $7, 'running', $8, $8)`,
      [
        worker.workerId,
        worker.process.pid,
        worker.process.host,
        worker.process.command,
        worker.queue,
        JSON.stringify(worker.tasks),
        worker.concurrency,
        worker.startedAt,
      ],
    );
  }

  async updateWorker(workerId: string, update: { heartbeatAt: Date; state?: WorkerState }): Promise<void> {
    await this.pool.query(
      `update ${SCHEMA}.workers set heartbeat_at = $1, state = coalesce($2, state),
         stopped_at = case when $2 = 'stopped' then $1 else stopped_at end
       where worker_id = $3`,
      [update.heartbeatAt, update.state ?? null, workerId],
    );
  }

  async listWorkers(filter: { includeStopped?: boolean } = {}): Promise<WorkerRecord[]> {
    const { rows } = await this.pool.query(
      `select * from ${SCHEMA}.workers ${filter.includeStopped ? '' : `where state <> 'stopped'`}
       order by started_at desc, worker_id`,
    );
    return rows.map(records.worker);
  }

  async acquireLease(request: LeaseRequest): Promise<LeaseAttempt> {
    const expires = new Date(request.now.getTime() + request.ttlMs);
    const holder = request.holder;
    return this.transaction(async (client): Promise<LeaseAttempt> => {
      const inserted = await client.query(
        `insert into ${SCHEMA}.leases (name, token, pid, host, command, acquired_at, renewed_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $6, $7) on conflict (name) do nothing returning *`,
        [request.name, request.token, holder.pid, holder.host, holder.command, request.now, expires],
      );
      if (inserted.rows[0]) return { acquired: true, lease: records.lease(inserted.rows[0]) };
      const { rows } = await client.query(`select * from ${SCHEMA}.leases where name = $1 for update`, [
        request.name,
      ]);
      const current = records.lease(rows[0]);
      const free =
        current.expiresAt.getTime() <= request.now.getTime() || current.token === request.replaceToken;
      if (!free) return { acquired: false, current };
      const updated = await client.query(
        `update ${SCHEMA}.leases set token = $2, pid = $3, host = $4, command = $5, acquired_at = $6,
           renewed_at = $6, expires_at = $7
         where name = $1 returning *`,
        [request.name, request.token, holder.pid, holder.host, holder.command, request.now, expires],
      );
      return { acquired: true, lease: records.lease(updated.rows[0]) };
    });
  }

  async renewLease(name: string, token: string, now: Date, ttlMs: number): Promise<LeaseRecord | undefined> {
    const { rows } = await this.pool.query(
      `update ${SCHEMA}.leases set renewed_at = $3, expires_at = $4 where name = $1 and token = $2 returning *`,
      [name, token, now, new Date(now.getTime() + ttlMs)],
    );
    return rows[0] ? records.lease(rows[0]) : undefined;
  }

  async releaseLease(name: string, token: string): Promise<void> {
    await this.pool.query(`delete from ${SCHEMA}.leases where name = $1 and token = $2`, [name, token]);
  }

  async getLease(name: string): Promise<LeaseRecord | undefined> {
    const { rows } = await this.pool.query(`select * from ${SCHEMA}.leases where name = $1`, [name]);
    return rows[0] ? records.lease(rows[0]) : undefined;
  }

  async recordSilverWrites(runId: string, writes: readonly SilverWrite[], at: Date): Promise<number> {
    if (writes.length === 0) return this.latestSilverCommit(this.pool);
    return this.transaction(async (client) => {
      const { rows } = await client.query(`select nextval('${SCHEMA}.silver_commits')::integer as commit`);
      const commit = Number(rows[0].commit);
      await client.query(
        `insert into ${SCHEMA}.silver_writes (commit_number, run_id, dataset, partition_date, written_at)
         select $1, $2, w.dataset, w.partition_date::date, $3
         from jsonb_to_recordset($4::jsonb) as w (dataset text, partition_date text)
         on conflict do nothing`,
        [
          commit,
          runId,
          at,
          JSON.stringify(
            writes.map((write) => ({ dataset: write.dataset, partition_date: write.partitionDate })),
          ),
        ],
      );
      return commit;
    });
  }

  private async latestSilverCommit(client: pg.PoolClient | pg.Pool): Promise<number> {
    const { rows } = await client.query(`select max(commit_number) as latest from ${SCHEMA}.silver_writes`);
    return Number(rows[0]?.latest ?? 0);
  }

  async recordMartsBuilt(runId: string, partitionDates: readonly IsoDate[], at: Date): Promise<number> {
    return this.transaction(async (client) => {
      const commit = await this.latestSilverCommit(client);
      await client.query(
        `insert into ${SCHEMA}.mart_builds (run_id, partition_date, silver_commit, built_at)
         select $1, d::date, $2, $3 from unnest($4::text[]) as d
         on conflict (run_id, partition_date) do update set silver_commit = excluded.silver_commit,
           built_at = excluded.built_at`,
        [runId, commit, at, [...new Set(partitionDates)]],
      );
      await client.query(`update ${SCHEMA}.runs set silver_commit = $1 where run_id = $2`, [commit, runId]);
      return commit;
    });
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
      values.push([...filter.runIds]);
      where.push(`run_id = any($${values.length})`);
    }
    if (filter.from !== undefined) {
      values.push(filter.from);
      where.push(`partition_date >= $${values.length}`);
    }
    if (filter.to !== undefined) {
      values.push(filter.to);
      where.push(`partition_date <= $${values.length}`);
    }
    const { rows } = await this.pool.query(
      `select * from ${SCHEMA}.silver_writes ${where.length ? `where ${where.join(' and ')}` : ''}
       order by commit_number, dataset, partition_date`,
      values,
    );
    return rows.map(records.silverWrite);
  }

  async partitionFreshness(from: IsoDate, to: IsoDate): Promise<PartitionFreshness[]> {
    const writes = await this.pool.query(
      `select distinct on (partition_date) partition_date, commit_number, run_id, dataset
       from ${SCHEMA}.silver_writes where partition_date between $1 and $2
       order by partition_date, commit_number desc, dataset`,
      [from, to],
    );
    const builds = await this.pool.query(
      `select distinct on (partition_date) partition_date, silver_commit, run_id
       from ${SCHEMA}.mart_builds where partition_date between $1 and $2
       order by partition_date, silver_commit desc, built_at desc`,
      [from, to],
    );
    return mergeFreshness(writes.rows, builds.rows);
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}
