/**
 * Who is doing the work, and whether a recorded process is still alive: what lets the next process tell a
 * try or a lease left behind by a SIGKILL from one still running.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
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

/**
 * Whether a process of this machine is alive. A zombie (exited, not yet reaped by its parent) counts as dead:
 * it will never write again.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
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
