/**
 * Who is doing the work, and whether a recorded process is still alive: what lets the next process tell a
 * try or a lease left behind by a SIGKILL from one still running.
 */
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { isProcessAlive } from '../../core/process-alive.ts';
import { redact } from '../../core/redact.ts';
import type { ProcessIdentity } from '../state/state-store.ts';

/** This process: pid, host name and its command line (`fintech-etl run --date …`, redacted). */
export function currentProcess(command?: string): ProcessIdentity {
  const [, script = 'node', ...args] = process.argv;
  return {
    pid: process.pid,
    host: hostname(),
    command: redact(command ?? [basename(script), ...args].join(' ')),
  };
}

export interface LivenessCheck {
  now: Date;
  /** A heartbeat older than this means the process is gone (killed, or its machine lost). */
  heartbeatTimeoutMs: number;
  /** The host this process runs on: only there can a pid be checked. */
  localHost: string;
  isAlive?: (pid: number) => boolean;
}

/**
 * Why the process that recorded `heartbeatAt` is dead, in a sentence fragment; undefined while it may be alive.
 * On this host the pid decides at once; elsewhere only an old heartbeat can tell.
 */
export function deadHolderReason(
  holder: ProcessIdentity,
  heartbeatAt: Date,
  check: LivenessCheck,
): string | undefined {
  const isAlive = check.isAlive ?? isProcessAlive;
  if (holder.host === check.localHost && !isAlive(holder.pid)) {
    return `process ${holder.pid} on ${holder.host} is no longer running`;
  }
  const silentMs = check.now.getTime() - heartbeatAt.getTime();
  if (silentMs > check.heartbeatTimeoutMs) {
    return (
      `process ${holder.pid} on ${holder.host} has sent no heartbeat for ${Math.round(silentMs / 1000)} s ` +
      `(since ${heartbeatAt.toISOString()})`
    );
  }
  return undefined;
}
