/** Run ids for audit tables and logs: `<prefix>-<UTC timestamp>-<random>`, sortable by start time, unique enough across processes. */
import { randomBytes } from 'node:crypto';

export function newRunId(prefix: string, now: Date = new Date()): string {
  return `${prefix}-${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}
