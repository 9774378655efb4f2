import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, postgresSkipReason } from '../helpers/postgres-test-database.ts';
import { runCli } from '../helpers/run-cli.ts';

const DAG_MODULE = fileURLToPath(new URL('../orchestrator/helpers/queue-test-dags.ts', import.meta.url));
const postgresSkip = await postgresSkipReason();

function home(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-worker-cli-'));
  writeFileSync(join(dir, 'fintech-etl.yaml'), config);
  return dir;
}

describe('fintech-etl worker', () => {
  it('refuses, exit 2, a config whose tasks do not run on a queue, or whose state or lake workers cannot share', async () => {
    const local = home('lake: lake\n');
    const queueOnSqlite = home(
      'executor: {kind: queue, redis: "redis://127.0.0.1:6379"}\nlake: s3://acme-lake/prod\n',
    );
    const [noQueue, sqlite] = await Promise.all([
      runCli(['--home', local, 'worker'], local),
      runCli(['--home', queueOnSqlite, 'worker'], queueOnSqlite),
    ]);
    expect(noQueue.status).toBe(2);
    expect(noQueue.stderr).toBe(
      "fintech-etl: config key 'executor' is {kind: local}: set executor: {kind: queue, redis: redis://host:6379} " +
        '(with state: postgres://… and lake: s3://…) to run tasks on workers\n',
    );
    expect(sqlite.status).toBe(2);
    expect(sqlite.stderr).toMatch(
      /^fintech-etl: .*fintech-etl\.yaml: config key 'state' is the SQLite file '.*state\.db': with executor kind queue it must be a postgres:\/\/ URL every worker reaches\n$/,
    );
  });

  it('refuses, exit 2, to run the fintech DAG on workers with a DuckDB warehouse, before anything is opened', async () => {
    const duckdb = home(
      'executor: {kind: queue, redis: "redis://127.0.0.1:1", shared_lake: true}\n' +
        'state: postgres://etl@127.0.0.1:1/state\nlake: lake\n',
    );
    const run = await runCli(['--home', duckdb, 'run', '--date', '2025-03-01'], duckdb);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /^fintech-etl: config key 'warehouse' is the DuckDB file '.*warehouse\.duckdb': with executor kind queue the daily DAG's tasks write it from worker processes, so it must be a postgres:\/\/ or redshift:\/\/ URL every worker reaches\n$/,
    );
  });

  it.skipIf(postgresSkip)(
    'serves the fintech DAG without --dag-module, and refuses, exit 2, --tasks naming no task of a registered DAG',
    async () => {
      const database = await createTestDatabase();
      try {
        const dir = home(
          'executor: {kind: queue, redis: "redis://127.0.0.1:6379", queue: cli-test}\n' +
            `state: ${database.url}\nlake: s3://acme-lake/prod\nwarehouse: postgres://etl@127.0.0.1:5432/dw\n`,
        );
        const badTasks = await runCli(
          ['--home', dir, 'worker', '--dag-module', DAG_MODULE, '--tasks', 'work,silver,nothing'],
          dir,
        );
        expect(badTasks.status).toBe(2);
        expect(badTasks.stderr).toBe(
          "fintech-etl: --tasks 'work,silver,nothing': no registered DAG has task nothing " +
            '(tasks: silver, quality, load, models, tests, gold, first, second, start, b1, b2, b3, b4, b5, join, ' +
            'prepare, work)\n',
        );
      } finally {
        await database.drop();
      }
    },
  );
});
