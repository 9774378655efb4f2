/**
 * `fintech-etl vacuum`: objects a later commit replaced stay for the retention period, then go; live files,
 * bronze and the logs never do; a lake written before the commit log is refused with a sentence saying what to
 * do.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/lake-files.ts';
import { runCli } from '../helpers/run-cli.ts';

interface VacuumJson {
  retention_hours: number;
  dry_run: boolean;
  tables: { table: string; deleted: string[]; keptYoung: number }[];
}

describe('vacuum CLI', () => {
  it('deletes superseded objects only past the retention period, and the pipeline runs on', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'fintech-etl.yaml'), 'generator:\n  customers: 50\n  merchants: 30\n');
    const cli = (...args: string[]) => runCli(['--home', home, ...args]);
    expect((await cli('generate', '--from', '2025-03-01', '--rows', '300')).status).toBe(0);
    // Two runs of one date: the second replaces silver's files, the quarantine, the index and every gold mart.
    for (const force of [[], ['--force']]) {
      const result = await cli('run', '--date', '2025-03-01', ...force);
      expect(result.status, result.stderr).toBe(0);
    }
    const vacuum = async (...args: string[]) => {
      const result = await cli('--json', 'vacuum', ...args);
      expect(result.status, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as VacuumJson;
    };
    const deleted = (result: VacuumJson) => result.tables.flatMap((table) => table.deleted);

    const young = await vacuum();
    expect(young.retention_hours).toBe(168);
    expect(deleted(young)).toEqual([]);

    const dry = await vacuum('--retention-hours', '0', '--dry-run');
    expect(dry.dry_run).toBe(true);
    const superseded = deleted(dry);
    expect(superseded).toContainEqual(
      expect.stringMatching(/^gold\/marts\/mart_sales_daily\/part-00000-run-/),
    );
    expect(superseded).toContainEqual(
      expect.stringMatching(/^quarantine\/transactions\/ingest_date=2025-03-01\//),
    );
    expect(superseded).toContainEqual(
      expect.stringMatching(/^silver\/_index\/transactions\/ingest_date=2025-03-01\//),
    );
    expect(superseded.some((key) => key.startsWith('bronze/') || key.includes('/_delta_log/'))).toBe(false);
    for (const key of superseded) expect(existsSync(join(home, 'lake', key)), key).toBe(true);

    const done = await vacuum('--retention-hours', '0');
    expect(deleted(done).sort()).toEqual([...superseded].sort());
    for (const key of superseded) expect(existsSync(join(home, 'lake', key)), key).toBe(false);
    expect(deleted(await vacuum('--retention-hours', '0'))).toEqual([]);

    const again = await cli('run', '--date', '2025-03-01', '--force');
    expect(again.status, again.stderr).toBe(0);
    const query = await cli('query', 'select count(*) as n from marts.mart_sales_daily', '--format', 'json');
    expect(JSON.parse(query.stdout)[0].n).toBeGreaterThan(0);
  });

  it('refuses a lake written before the commit log, saying what to do', async () => {
    const home = tempDir();
    mkdirSync(join(home, 'lake', 'bronze', 'transactions', 'ingest_date=2025-03-01'), { recursive: true });
    const result = await runCli(['--home', home, 'run', '--date', '2025-03-01']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /config key 'lake': .*lake was written by an earlier version of fintech-etl \(bronze\/transactions has partition folders but no _delta_log commit log\); point lake at a new folder/,
    );
  });
});
