/**
 * Finds, parses and validates the config (DESIGN.md §2): `--config FILE`, else `fintech-etl.yaml` in the
 * current folder, else in home, else built-in defaults. Paths in the file are relative to home.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { type ConfigFile, configSchema } from './config-schema.ts';

export type WarehouseTarget =
  | { kind: 'duckdb'; path: string; settings: DuckDBWarehouseSettings }
  | { kind: 'postgres'; url: string }
  | { kind: 'redshift'; url: string };

/** How the embedded DuckDB warehouse is opened (config `duckdb_warehouse`, paths resolved from home). */
export interface DuckDBWarehouseSettings {
  memoryLimit: string;
  threads?: number;
  tempDirectory?: string;
}

/** Where the control plane keeps runs, tries and leases (config `state`). */
export type StateTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export type LakeLocation = { kind: 'local'; root: string } | { kind: 's3'; bucket: string; prefix: string };

/** The lake's settings with paths resolved and sizes in bytes. */
export interface LakeSettings {
  retentionHours: number;
  cacheDir: string;
  cacheMaxBytes: number;
}

export interface ResolvedConfig extends ConfigFile {
  /** Absolute home folder: everything the program writes lives under it unless the config points elsewhere. */
  home: string;
  /** The file the config came from, or undefined for built-in defaults. */
  source: string | undefined;
  lakeLocation: LakeLocation;
  lakeSettings: LakeSettings;
  warehouseTarget: WarehouseTarget;
  stateTarget: StateTarget;
  /** Absolute folder of the dbt-style model project. */
  projectDir: string;
  /** Absolute folder of the quality gate's expectation suites (config `quality.suites`, else `<project>/suites`). */
  qualitySuitesDir: string;
}

export const DEFAULT_HOME = '.fintech-etl';
export const CONFIG_FILE_NAME = 'fintech-etl.yaml';
const SHIPPED_PROJECT = fileURLToPath(new URL('../../pipeline', import.meta.url));

export interface LoadConfigOptions {
  home?: string;
  configFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const home = resolve(cwd, options.home ?? env['FINTECH_ETL_HOME'] ?? DEFAULT_HOME);
  assertFolderPath(home, 'home (--home or FINTECH_ETL_HOME)');
  const source = findConfigFile(options.configFile, cwd, home);
  const raw = source ? readYaml(source) : {};
  const config = resolveConfig(parseConfig(raw, source ?? 'built-in defaults'), home, source);
  if (config.lakeLocation.kind === 'local') assertFolderPath(config.lakeLocation.root, "config key 'lake'");
  const target = config.warehouseTarget;
  if (target.kind === 'duckdb' && target.path !== ':memory:') {
    assertFolderPath(dirname(target.path), "the folder of config key 'warehouse'");
  }
  assertExecutorFits(config);
  return config;
}

/**
 * Workers on other machines must see the same state and the same lake as the process that queues their tasks:
 * a SQLite file or a folder under one machine's home would silently split the truth.
 */
function assertExecutorFits(config: ResolvedConfig): void {
  if (config.executor.kind !== 'queue') return;
  const problems: string[] = [];
  if (config.stateTarget.kind !== 'postgres') {
    problems.push(
      `config key 'state' is the SQLite file '${config.stateTarget.path}': with executor kind queue it must be ` +
        'a postgres:// URL every worker reaches',
    );
  }
  if (config.lakeLocation.kind === 'local' && !config.executor.shared_lake) {
    problems.push(
      `config key 'lake' is the local folder '${config.lakeLocation.root}': with executor kind queue it must be ` +
        's3://bucket/prefix, or a folder every worker mounts at that path (then set executor.shared_lake: true)',
    );
  }
  if (problems.length)
    throw new ConfigError(`${config.source ?? 'built-in defaults'}: ${problems.join('; ')}`);
}

/**
 * A folder the program writes into must be a folder or not exist yet: a file there, or on the way to it, is
 * a configuration mistake, said in one sentence (exit 2) instead of a raw ENOTDIR or EEXIST later.
 */
function assertFolderPath(path: string, what: string): void {
  for (let current = path; ; current = dirname(current)) {
    if (existsSync(current)) {
      if (statSync(current).isDirectory()) return;
      throw new ConfigError(
        current === path
          ? `${what} '${path}' is a file, not a folder`
          : `${what} '${path}' cannot be a folder: '${current}' is a file`,
      );
    }
    if (dirname(current) === current) return;
  }
}

function findConfigFile(explicit: string | undefined, cwd: string, home: string): string | undefined {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`config file '${explicit}' does not exist`);
    return path;
  }
  return [join(cwd, CONFIG_FILE_NAME), join(home, CONFIG_FILE_NAME)].find((path) => existsSync(path));
}

function readYaml(path: string): unknown {
  try {
    return parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new ConfigError(
      `config file '${path}' is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

/** Validates raw config; the error names the key, the value given and what is allowed. */
export function parseConfig(raw: unknown, sourceName: string): ConfigFile {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(`${sourceName}: ${result.error.issues.map(describeIssue).join('; ')}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path.length ? `${issue.path.join('.')}.` : '';
    return issue.keys.map((key) => `unknown config key '${parent}${key}'`).join('; ');
  }
  const key = issue.path.join('.') || '(root)';
  const given =
    'input' in issue && issue.input !== undefined ? ` has value ${JSON.stringify(issue.input)}:` : ':';
  return `config key '${key}'${given} ${issue.message}`;
}

function resolveConfig(config: ConfigFile, home: string, source: string | undefined): ResolvedConfig {
  const fromHome = (path: string) => (isAbsolute(path) ? path : join(home, path));
  const duckdb = config.duckdb_warehouse;
  const duckdbSettings: DuckDBWarehouseSettings = {
    memoryLimit: duckdb.memory_limit,
    ...(duckdb.threads ? { threads: duckdb.threads } : {}),
    ...(duckdb.temp_directory ? { tempDirectory: fromHome(duckdb.temp_directory) } : {}),
  };
  const silverTemp = config.silver.temp_directory;
  const projectDir = config.models.project ? fromHome(config.models.project) : SHIPPED_PROJECT;
  return {
    ...config,
    // Spill folders, like every path of the config, are relative to home.
    silver: { ...config.silver, ...(silverTemp ? { temp_directory: fromHome(silverTemp) } : {}) },
    home,
    source,
    lakeLocation: parseLake(config.lake.location, fromHome),
    lakeSettings: {
      retentionHours: config.lake.retention_hours,
      cacheDir: fromHome(config.lake.cache_dir),
      cacheMaxBytes: parseByteSize(config.lake.cache_max_bytes),
    },
    warehouseTarget: parseWarehouse(config.warehouse, fromHome, duckdbSettings),
    stateTarget: parseState(config.state, fromHome),
    projectDir,
    qualitySuitesDir: config.quality.suites ? fromHome(config.quality.suites) : join(projectDir, 'suites'),
  };
}

function parseLake(lake: string, fromHome: (path: string) => string): LakeLocation {
  if (!lake.startsWith('s3://')) return { kind: 'local', root: fromHome(lake) };
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(lake);
  if (!s3 || s3[1]!.includes('..'))
    throw new ConfigError(
      `config key 'lake' has value "${lake}": must be s3://bucket/prefix with a valid bucket name (3-63 lower-case letters, digits, dots, hyphens)`,
    );
  return { kind: 's3', bucket: s3[1]!, prefix: (s3[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** `10GB` → 10000000000; a number is already bytes. */
export function parseByteSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const [, amount, unit] = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(size.trim())!;
  return Math.round(Number(amount) * BYTE_UNITS[unit!.toLowerCase()]!);
}

function parseState(state: string, fromHome: (path: string) => string): StateTarget {
  if (/^postgres(ql)?:\/\//.test(state)) return { kind: 'postgres', url: state };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(state)) {
    throw new ConfigError(
      `config key 'state' has value "${state}": must be a SQLite file path or a postgres:// URL`,
    );
  }
  return { kind: 'sqlite', path: fromHome(state) };
}

function parseWarehouse(
  url: string,
  fromHome: (path: string) => string,
  duckdbSettings: DuckDBWarehouseSettings,
): WarehouseTarget {
  const [scheme, rest = ''] = url.split('://', 2) as [string, string];
  switch (scheme) {
    case 'duckdb':
      if (!rest)
        throw new ConfigError(`config key 'warehouse' has value "${url}": duckdb:// needs a file path`);
      return { kind: 'duckdb', path: rest === ':memory:' ? rest : fromHome(rest), settings: duckdbSettings };
    case 'postgres':
    case 'postgresql':
      return { kind: 'postgres', url };
    case 'redshift':
      return { kind: 'redshift', url };
    default:
      throw new ConfigError(`config key 'warehouse' has value "${url}": unknown scheme '${scheme}'`);
  }
}
