import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

const DAG_MODULE = fileURLToPath(new URL('../orchestrator/helpers/queue-test-dags.ts', import.meta.url));

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

  it('refuses, exit 2, --tasks naming no task of a registered DAG, and a worker with no DAG at all', async () => {
    const dir = home(
      'executor: {kind: queue, redis: "redis://127.0.0.1:6379", queue: cli-test}\n' +
        'state: postgres://postgres@127.0.0.1:5432/unused\nlake: s3://acme-lake/prod\n',
    );
    const [badTasks, noDag] = await Promise.all([
      runCli(['--home', dir, 'worker', '--dag-module', DAG_MODULE, '--tasks', 'work,silver'], dir),
      runCli(['--home', dir, 'worker'], dir),
    ]);
    expect(badTasks.status).toBe(2);
    expect(badTasks.stderr).toBe(
      "fintech-etl: --tasks 'work,silver': no registered DAG has task silver " +
        '(tasks: first, second, start, b1, b2, b3, b4, b5, join, prepare, work)\n',
    );
    expect(noDag.status).toBe(2);
    expect(noDag.stderr).toBe(
      'fintech-etl: no DAG is registered, so this worker could take no task (give --dag-module FILE)\n',
    );
  });
});
