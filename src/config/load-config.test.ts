import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { loadConfig } from './load-config.ts';

function withConfig(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-config-'));
  writeFileSync(join(dir, 'fintech-etl.yaml'), yaml);
  return () => loadConfig({ cwd: dir, env: {} });
}

describe('loadConfig', () => {
  it('gives a working embedded setup under home without a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fintech-config-'));
    const config = loadConfig({ cwd: dir, env: {} });
    expect(config.source).toBeUndefined();
    expect(config.timezone).toBe('Asia/Seoul');
    expect(config.reporting_currency).toBe('KRW');
    expect(config.lakeLocation).toEqual({ kind: 'local', root: join(dir, '.fintech-etl', 'lake') });
    expect(config.warehouseTarget).toEqual({
      kind: 'duckdb',
      path: join(dir, '.fintech-etl', 'warehouse.duckdb'),
      settings: { memoryLimit: '1GB' },
    });
    expect(config.generator.late_rate).toBe(0.05);
  });

  it('names the key, the value and what is allowed for a wrong value', () => {
    expect(withConfig('generator:\n  late_rate: 2\n')).toThrow(
      /config key 'generator\.late_rate' has value 2: .*(<=|at most|too big).*1/i,
    );
    expect(withConfig('timezone: Mars/Olympus\n')).toThrow(
      /'timezone' has value "Mars\/Olympus": is not an IANA time zone/,
    );
    expect(withConfig('currencies: [KRW, XYZ]\n')).toThrow(
      /'currencies\.1' has value "XYZ": is not an ISO 4217/,
    );
  });

  it('refuses unknown keys, naming them', () => {
    expect(withConfig('generator:\n  lateness: 3\n')).toThrow(ConfigError);
    expect(withConfig('generator:\n  lateness: 3\n')).toThrow(/unknown config key 'generator\.lateness'/);
  });

  it('refuses a reporting currency outside the accepted set', () => {
    expect(withConfig('reporting_currency: USD\ncurrencies: [KRW]\n')).toThrow(
      /'reporting_currency'.*accepted currencies/,
    );
  });

  it('parses warehouse targets', () => {
    expect(withConfig('warehouse: postgres://etl@127.0.0.1:5432/test\n')().warehouseTarget).toEqual({
      kind: 'postgres',
      url: 'postgres://etl@127.0.0.1:5432/test',
    });
    expect(withConfig('warehouse: mysql://x\n')).toThrow(/'warehouse' has value "mysql:\/\/x"/);
  });

  it('bounds the embedded DuckDB warehouse as configured; spill folders are relative to home', () => {
    const config = withConfig(
      'duckdb_warehouse:\n  memory_limit: 2GB\n  threads: 1\n  temp_directory: spill/warehouse\n' +
        'silver:\n  temp_directory: spill/silver\n',
    )();
    expect(config.silver.temp_directory).toBe(join(config.home, 'spill', 'silver'));
    expect(withConfig('silver:\n  temp_directory: /var/spill\n')().silver.temp_directory).toBe('/var/spill');
    expect(config.warehouseTarget).toEqual({
      kind: 'duckdb',
      path: join(config.home, 'warehouse.duckdb'),
      settings: { memoryLimit: '2GB', threads: 1, tempDirectory: join(config.home, 'spill', 'warehouse') },
    });
    expect(withConfig('duckdb_warehouse:\n  memory_limit: lots\n')).toThrow(
      /config key 'duckdb_warehouse\.memory_limit' has value "lots": must look like 1GB or 512MB/,
    );
  });
  it('takes the lake as a string (as before) or as an object with its settings', () => {
    const plain = withConfig('lake: s3://my-lake/prod/zone/\n')();
    expect(plain.lakeLocation).toEqual({ kind: 's3', bucket: 'my-lake', prefix: 'prod/zone' });
    expect(plain.lakeSettings.retentionHours).toBe(168);
    expect(plain.lakeSettings.cacheMaxBytes).toBe(10_000_000_000);
    expect(plain.s3).toEqual({ force_path_style: false, sse: 'AES256', credentials: 'default' });
    const full = withConfig(
      [
        'lake:',
        '  location: s3://my-lake',
        '  retention_hours: 24',
        '  cache_dir: /var/cache/fintech',
        '  cache_max_bytes: 512MiB',
        's3:',
        '  region: eu-west-1',
        '  endpoint: http://127.0.0.1:4566',
        '  force_path_style: true',
        '  sse: aws:kms',
        '  kms_key_id: alias/lake',
        '  credentials:',
        '    access_key_id: {env: LAKE_KEY_ID}',
        '    secret_access_key: {aws_secret: prod/lake, region: eu-west-1, key: secret}',
        '',
      ].join('\n'),
    )();
    expect(full.lakeLocation).toEqual({ kind: 's3', bucket: 'my-lake', prefix: '' });
    expect(full.lakeSettings).toEqual({
      retentionHours: 24,
      cacheDir: '/var/cache/fintech',
      cacheMaxBytes: 512 * 2 ** 20,
    });
    expect(full.s3.credentials).toEqual({
      access_key_id: { env: 'LAKE_KEY_ID' },
      secret_access_key: { aws_secret: 'prod/lake', region: 'eu-west-1', key: 'secret' },
    });
  });

  it('names the lake or s3 key that is wrong', () => {
    expect(withConfig('lake: s3://Bad_Bucket/x\n')).toThrow(
      /config key 'lake' has value "s3:\/\/Bad_Bucket\/x": must be s3:\/\/bucket\/prefix/,
    );
    expect(withConfig('lake:\n  retention_hours: -1\n')).toThrow(
      /config key 'lake\.retention_hours' has value -1/,
    );
    expect(withConfig('lake:\n  cache_max_bytes: lots\n')).toThrow(
      /config key 'lake\.cache_max_bytes' has value "lots": must be a number of bytes or a size like 512MB/,
    );
    expect(withConfig('lake:\n  path: x\n')).toThrow(/unknown config key 'lake\.path'/);
    expect(withConfig('s3:\n  sse: rot13\n')).toThrow(/config key 's3\.sse' has value "rot13"/);
    expect(withConfig('s3:\n  kms_key_id: k\n')).toThrow(
      /config key 's3\.kms_key_id'.*only used with sse: aws:kms/,
    );
    expect(withConfig('s3:\n  credentials: {access_key_id: AKIA}\n')).toThrow(
      /config key 's3\.credentials' has value .*must be 'default' or \{access_key_id/,
    );
    expect(withConfig('warehouse_password: {aws_secret: x, field: y}\n')).toThrow(
      /unknown config key 'warehouse_password\.field'/,
    );
    expect(withConfig('warehouse_password: {vault: x}\n')).toThrow(
      /config key 'warehouse_password' has value .*must be a secret reference/,
    );
  });

  it('places the control plane state under home by default, or in PostgreSQL', () => {
    const config = withConfig('')();
    expect(config.stateTarget).toEqual({ kind: 'sqlite', path: join(config.home, 'state.db') });
    expect(config.orchestrator).toEqual({ tasks: {}, heartbeat_interval: 10, heartbeat_timeout: 120 });
    expect(config.scheduler).toEqual({ schedule: '0 6 * * *', catchup: true, max_active_runs: 1 });
    expect(withConfig('state: postgres://etl@db:5432/control\n')().stateTarget).toEqual({
      kind: 'postgres',
      url: 'postgres://etl@db:5432/control',
    });
    expect(withConfig('state: mysql://x/y\n')).toThrow(
      /config key 'state' has value "mysql:\/\/x\/y": must be a SQLite file path or a postgres:\/\/ URL/,
    );
  });

  it('checks the scheduler and heartbeat settings, naming the key', () => {
    expect(withConfig('orchestrator:\n  heartbeat_interval: 60s\n  heartbeat_timeout: 90s\n')).toThrow(
      /config key 'orchestrator\.heartbeat_timeout'.*more than twice heartbeat_interval/,
    );
    expect(withConfig('scheduler:\n  start_date: 2025-3-1\n')).toThrow(
      /config key 'scheduler\.start_date'.*YYYY-MM-DD/,
    );
    expect(withConfig('scheduler:\n  timezone: Moon/Base\n')).toThrow(
      /'scheduler\.timezone' has value "Moon\/Base"/,
    );
    const alerts = withConfig('alerts:\n  - webhook: {env: SLACK_URL}\n')().alerts;
    expect(alerts).toEqual([{ webhook: { env: 'SLACK_URL' }, on: ['failure'] }]);
  });

  it('reads silver.earliest_event_date, a calendar date, default 2000-01-01', () => {
    expect(withConfig('')().silver.earliest_event_date).toBe('2000-01-01');
    expect(withConfig('silver:\n  earliest_event_date: "2020-02-29"\n')().silver.earliest_event_date).toBe(
      '2020-02-29',
    );
    expect(withConfig('silver:\n  earliest_event_date: "2021-02-29"\n')).toThrow(
      /config key 'silver\.earliest_event_date' has value "2021-02-29": is not a calendar date/,
    );
  });

  it('says in one sentence that the warehouse folder is a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fintech-config-'));
    writeFileSync(join(dir, 'plain'), 'x');
    writeFileSync(join(dir, 'fintech-etl.yaml'), 'warehouse: duckdb://plain/warehouse.duckdb\n');
    expect(() => loadConfig({ cwd: dir, home: dir, env: {} })).toThrow(
      new ConfigError(`the folder of config key 'warehouse' '${join(dir, 'plain')}' is a file, not a folder`),
    );
  });

  it('runs tasks in process by default; a queue executor needs PostgreSQL state and a lake every worker sees', () => {
    expect(withConfig('')().executor).toEqual({ kind: 'local' });
    const queue = withConfig(
      'executor: {kind: queue, redis: "redis://127.0.0.1:6379"}\nstate: postgres://etl@db:5432/etl\nlake: s3://acme-lake/prod\n',
    )();
    expect(queue.executor).toEqual({
      kind: 'queue',
      redis: 'redis://127.0.0.1:6379',
      queue: 'fintech-etl',
      shared_lake: false,
    });
    const shared = withConfig(
      'executor: {kind: queue, redis: "redis://q:6379", queue: etl-prod, shared_lake: true}\nstate: postgres://etl@db/etl\n',
    )();
    expect(shared.executor).toMatchObject({ queue: 'etl-prod', shared_lake: true });

    const local = withConfig('executor: {kind: queue, redis: "redis://q:6379"}\n');
    expect(local).toThrow(ConfigError);
    expect(local).toThrow(
      /config key 'state' is the SQLite file '.*state\.db': with executor kind queue it must be a postgres:\/\/ URL every worker reaches; config key 'lake' is the local folder '.*lake': with executor kind queue it must be s3:\/\/bucket\/prefix, or a folder every worker mounts at that path \(then set executor\.shared_lake: true\)/,
    );
    expect(withConfig('executor: {kind: queue, redis: "redis://q:6379", shared_lake: true}\n')).toThrow(
      /config key 'state' is the SQLite file/,
    );
    expect(withConfig('executor: {kind: queue, redis: "http://q:6379"}\n')).toThrow(
      /config key 'executor\.redis' has value "http:\/\/q:6379": must be a redis:\/\/ or rediss:\/\/ URL/,
    );
    expect(withConfig('executor: {kind: celery}\n')).toThrow(
      /config key 'executor\.kind'.*must be \{kind: local\}/,
    );
    expect(withConfig('executor: {kind: queue, redis: "redis://q", queue: "a:b"}\n')).toThrow(
      /config key 'executor\.queue' has value "a:b": must be 1-64 letters, digits, _ or -/,
    );
  });
});
