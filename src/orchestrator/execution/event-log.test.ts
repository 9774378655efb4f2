import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog, readEventLog, tryLogPath } from './event-log.ts';

describe('EventLog', () => {
  it('writes one JSON line per event as it happens, with errors and dates made readable', async () => {
    const logs = mkdtempSync(join(tmpdir(), 'fintech-log-'));
    const path = tryLogPath(logs, 'run-1', 'load', 2);
    expect(path).toBe(join(logs, 'run-1', 'load', 'try-2.log'));
    const log = EventLog.open(path, () => new Date('2025-03-01T06:00:00.000Z'));
    log.emit({ kind: 'notice', message: 'first' });
    // Readable before close: each event is its own write.
    expect(readFileSync(path, 'utf8')).toBe(
      '{"ts":"2025-03-01T06:00:00.000Z","kind":"notice","message":"first"}\n',
    );
    log.emit({
      kind: 'failed',
      error: new TypeError('bad value'),
      at: new Date('2025-03-01T06:00:01Z'),
      rows: 10n,
    });
    log.close();
    log.emit({ kind: 'after-close' });
    const { events, partialLine } = await readEventLog(path);
    expect(partialLine).toBeUndefined();
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({
      kind: 'failed',
      error: { name: 'TypeError', message: 'bad value' },
      at: '2025-03-01T06:00:01.000Z',
      rows: '10',
    });
    expect((events[1]!['error'] as { stack: string }).stack).toMatch(/event-log\.test\.ts/);
  });

  it('reads back a log whose last line a killed process left half written', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fintech-log-')), 'try-1.log');
    const log = EventLog.open(path);
    log.emit({ kind: 'task-started' });
    log.close();
    appendFileSync(path, '{"ts":"2025-03-01T06:00:00.000Z","kind":"no');
    const { events, partialLine } = await readEventLog(path);
    expect(events.map((event) => event.kind)).toEqual(['task-started']);
    expect(partialLine).toBe('{"ts":"2025-03-01T06:00:00.000Z","kind":"no');
  });
});
