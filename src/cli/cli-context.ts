/**
 * What every command receives: the global options and a lazily loaded config (so `--help` works even with a
 * broken config file).
 */
import type { Command } from 'commander';
import { loadConfig, type ResolvedConfig } from '../config/load-config.ts';
import { ConfigError } from '../core/errors.ts';
import { LakeLayout } from '../lake/lake-layout.ts';

export interface GlobalOptions {
  home?: string;
  config?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface CliContext {
  /** The global options as parsed (read at action time, after commander has parsed them). */
  options(): GlobalOptions;
  config(): ResolvedConfig;
  /** The local lake; refuses an s3:// lake with a clear message until cloud mode lands. */
  lake(): LakeLayout;
  /** Human output (tables, summaries); suppressed with `--json`. */
  say(line: string): void;
  /** The one JSON document of `--json`. */
  emitJson(value: unknown): void;
}

/** Registers one command on the program; each file of commands/ exports one (listed in commands/index.ts). */
export type RegisterCommand = (program: Command, context: CliContext) => void;

export function createCliContext(
  options: () => GlobalOptions,
  stdout: NodeJS.WritableStream = process.stdout,
): CliContext {
  let config: ResolvedConfig | undefined;
  const context: CliContext = {
    options,
    config: () => {
      config ??= loadConfig({ home: options().home, configFile: options().config });
      return config;
    },
    lake: () => {
      const location = context.config().lakeLocation;
      if (location.kind !== 'local') {
        throw new ConfigError(
          `config key 'lake': s3:// lakes are not supported by this version yet (got s3://${location.bucket})`,
        );
      }
      return new LakeLayout(location.root);
    },
    say: (line) => {
      if (!options().json) stdout.write(`${line}\n`);
    },
    emitJson: (value) => {
      stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
    },
  };
  return context;
}

/** bigint (exact DECIMAL values, counts) becomes a string, never a lossy number. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
