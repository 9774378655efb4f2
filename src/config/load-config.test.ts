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
});
