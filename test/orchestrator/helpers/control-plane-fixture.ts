/**
 * A throw-away control plane for tests: a home folder with a SQLite state store and a logs folder, a clock
 * whose sleeps return at once (and are recorded), and helpers to read what the executor wrote.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../../src/orchestrator/execution/clock.ts';
import { type LoggedEvent, readEventLog } from '../../../src/orchestrator/execution/event-log.ts';
import { SqliteStateStore } from '../../../src/orchestrator/state/sqlite/sqlite-state-store.ts';

export interface ControlPlaneFixture {
  home: string;
  logsDir: string;
  statePath: string;
  store: SqliteStateStore;
  /** Returns from sleep at once and remembers each requested delay (ms). */
  clock: Clock & { sleeps: number[] };
}

export function controlPlaneFixture(): ControlPlaneFixture {
  const home = mkdtempSync(join(tmpdir(), 'fintech-control-'));
  const statePath = join(home, 'state.db');
  const sleeps: number[] = [];
  return {
    home,
    logsDir: join(home, 'logs'),
    statePath,
    store: new SqliteStateStore(statePath),
    clock: {
      sleeps,
      now: () => new Date(),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  };
}

/** The kinds of the events of a log, in order. */
export async function logKinds(path: string): Promise<string[]> {
  return (await readEventLog(path)).events.map((event) => event.kind);
}

export async function logEvents(path: string): Promise<LoggedEvent[]> {
  if (!existsSync(path)) throw new Error(`no log at ${path}`);
  return (await readEventLog(path)).events;
}
