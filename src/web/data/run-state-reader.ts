/**
 * The control plane's record as the Pipeline page reads it: the state store the config names (the SQLite file
 * under home, or PostgreSQL) and the per-try JSON-lines logs under `<home>/logs`. Only reads: the server never
 * starts, changes or leases anything through it (the operator's buttons start the CLI instead, see
 * server/cli-launcher.ts). The store is opened on first use, and not at all while a SQLite file does not exist:
 * a home where nothing has run yet shows "no runs yet" and the server creates no state file.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { ResolvedConfig } from '../../config/load-config.ts';
import { openStateStore } from '../../orchestrator/state/open-state-store.ts';
import type { StateStore, TryRecord } from '../../orchestrator/state/state-store.ts';

/** A queue worker as the Pipeline page lists it (from the state store's worker heartbeats, issue 26). */
export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  /** `run/task/try` of the tries it is running now. */
  running: string[];
  startedAt: Date;
  heartbeatAt: Date;
}

/** The DAG the page lays the grid out by (its task order), when the caller knows it. */
export interface DagShape {
  name: string;
  order: readonly string[];
}

export interface RunStateReaderOptions {
  open: () => Promise<StateStore>;
  /** False while there is no state to read yet (a SQLite file nothing has created). */
  exists: () => boolean;
  /** `<home>/logs`: the only folder logs are read from. */
  logsDir: string;
  /** A running run or worker whose heartbeat is older than this is dead (config orchestrator.heartbeat_timeout). */
  heartbeatTimeoutMs: number;
  dag?: DagShape;
}

export class RunStateReader {
  private opened: Promise<StateStore> | undefined;

  constructor(readonly options: RunStateReaderOptions) {}

  /** The reader of the configured state store and `<home>/logs`. */
  static fromConfig(
    config: Pick<ResolvedConfig, 'stateTarget' | 'state_password' | 'home' | 'orchestrator'>,
    extra: { env?: NodeJS.ProcessEnv; dag?: DagShape } = {},
  ): RunStateReader {
    const target = config.stateTarget;
    return new RunStateReader({
      open: () => openStateStore(config, { env: extra.env ?? process.env }),
      exists: () => target.kind === 'postgres' || existsSync(target.path),
      logsDir: resolve(config.home, 'logs'),
      heartbeatTimeoutMs: config.orchestrator.heartbeat_timeout * 1000,
      ...(extra.dag ? { dag: extra.dag } : {}),
    });
  }

  get logsDir(): string {
    return this.options.logsDir;
  }

  get heartbeatTimeoutMs(): number {
    return this.options.heartbeatTimeoutMs;
  }

  get dag(): DagShape | undefined {
    return this.options.dag;
  }

  /** The store, or undefined while nothing has run yet. */
  async store(): Promise<StateStore | undefined> {
    if (!this.opened) {
      if (!this.options.exists()) return undefined;
      this.opened = this.options.open();
      // A failed open (PostgreSQL down) is tried again by the next request.
      this.opened.catch(() => {
        this.opened = undefined;
      });
    }
    return this.opened;
  }

  /** The workers the store records, or undefined when it records none (the local executor). */
  async workers(): Promise<WorkerRecord[] | undefined> {
    const store = await this.store();
    if (!store) return undefined;
    const workers = await store.listWorkers();
    if (!workers.length) return undefined;
    const running = await store.runningTries();
    return workers.map((worker) => ({
      id: worker.workerId,
      host: worker.process.host,
      pid: worker.process.pid,
      running: running
        .filter(
          (attempt) =>
            attempt.process.pid === worker.process.pid && attempt.process.host === worker.process.host,
        )
        .map((attempt) => `${attempt.runId}/${attempt.task}/${attempt.tryNumber}`),
      startedAt: worker.startedAt,
      heartbeatAt: worker.heartbeatAt,
    }));
  }

  /**
   * The file of a try's log, if it is under `<home>/logs` on this machine. The path comes from the state
   * store, never from a request; a try run on another machine (a worker) logged there, not here.
   */
  logFileOf(attempt: Pick<TryRecord, 'logPath'>): string | undefined {
    const path = resolve(attempt.logPath);
    const inside = relative(this.options.logsDir, path);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
    return existsSync(path) ? path : undefined;
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened.catch(() => undefined))?.close();
  }
}
