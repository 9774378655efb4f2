/**
 * What every command receives: the global options and a lazily loaded config (so `--help` works even with a
 * broken config file).
 */
import type { Command } from 'commander';
import { loadConfig, type ResolvedConfig } from '../config/load-config.ts';
import type { Lake } from '../lake/lake.ts';
import type { StateStore } from '../orchestrator/state/state-store.ts';

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
  /** The configured lake (local folder or S3), opened on first use and closed by {@link close}. */
  lake(): Promise<Lake>;
  /** The configured state store, opened on first use and closed by {@link close}. */
  stateStore(): Promise<StateStore>;
  /** Something a command (or a DAG factory it called) opened, closed by {@link close} before the lake. */
  defer(close: () => Promise<void>): void;
  /** Closes what the command opened (the deferred, the state store, the lake: its S3 client and cache index). */
  close(): Promise<void>;
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
  let lake: Promise<Lake> | undefined;
  let store: Promise<StateStore> | undefined;
  const deferred: (() => Promise<void>)[] = [];
  const context: CliContext = {
    options,
    config: () => {
      config ??= loadConfig({ home: options().home, configFile: options().config });
      return config;
    },
    lake: () => {
      // Imported here: the light commands (--help, iam) do not load the lake's modules.
      lake ??= import('../lake/open-lake.ts').then(({ openLake }) => openLake(context.config()));
      return lake;
    },
    stateStore: () => {
      store ??= import('../orchestrator/state/open-state-store.ts').then(({ openStateStore }) =>
        openStateStore(context.config()),
      );
      return store;
    },
    defer: (close) => {
      deferred.push(close);
    },
    close: async () => {
      for (const close of deferred.splice(0).reverse()) await close().catch(() => undefined);
      const openedStore = store;
      store = undefined;
      if (openedStore) await (await openedStore.catch(() => undefined))?.close();
      const opened = lake;
      lake = undefined;
      if (opened) await (await opened.catch(() => undefined))?.close();
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
