/**
 * `fintech-etl serve`: resolves the operator token, refuses an unsafe bind, opens the readers (the lake's
 * files, an in-memory DuckDB of its own, the model project, the run state) and listens. It never opens the
 * warehouse nor takes the writer lease, so it runs beside the scheduler or a backfill; the operator's buttons
 * start the CLI, which takes the lease itself.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ResolvedConfig } from '../config/load-config.ts';
import { resolveSecret } from '../config/secrets.ts';
import { ConfigError } from '../core/errors.ts';
import { registerSecret } from '../core/redact.ts';
import type { Lake } from '../lake/lake.ts';
import { GoldDatabase } from './data/gold-database.ts';
import { LakeFiles } from './data/lake-files.ts';
import { LineageReader } from './data/lineage-docs.ts';
import { type DagShape, RunStateReader } from './data/run-state-reader.ts';
import { assertBindAllowed, isLoopbackHost } from './server/bind-policy.ts';
import { CliLauncher } from './server/cli-launcher.ts';
import { OperatorAuth } from './server/operator-auth.ts';
import { createWebApp } from './web-app.ts';

export interface StartWebServerOptions {
  config: ResolvedConfig;
  lake: Lake;
  /** Overrides `serve.host` / `serve.port` (the CLI's --host / --port). Port 0 picks a free port. */
  host?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** The DAG whose task order lays out the run grid (the CLI passes the daily DAG's). */
  dag?: DagShape;
  /** Argv that starts the CLI for the operator's buttons; default `node bin/fintech-etl` (tests: a stand-in). */
  cliCommand?: readonly string[];
}

/** The operator token from the environment, when the config has no `serve.token`. */
export const OPERATOR_TOKEN_ENV = 'FINTECH_ETL_OPERATOR_TOKEN';

export interface RunningWebServer {
  /** http://host:port/ as a browser reaches it. */
  url: string;
  close(): Promise<void>;
}

export async function startWebServer(options: StartWebServerOptions): Promise<RunningWebServer> {
  const { config } = options;
  const env = options.env ?? process.env;
  const host = options.host ?? config.serve.host;
  const port = options.port ?? config.serve.port;
  const token = config.serve.token
    ? await resolveSecret(config.serve.token, { home: config.home, env })
    : env[OPERATOR_TOKEN_ENV] || undefined;
  if (token) registerSecret(token);
  if (config.serve.token && !token)
    throw new ConfigError(
      `config key 'serve.token': the secret it refers to is not set (${describeRef(config)})`,
    );
  assertBindAllowed(host, token !== undefined);

  const lake = new LakeFiles(options.lake);
  const gold = await GoldDatabase.open(lake);
  const runs = RunStateReader.fromConfig(config, { env, ...(options.dag ? { dag: options.dag } : {}) });
  const launcher = new CliLauncher({
    home: config.home,
    configFile: config.source,
    cwd: process.cwd(),
    env,
    ...(options.cliCommand ? { command: options.cliCommand } : {}),
  });
  const app = createWebApp({
    data: {
      gold,
      lake,
      lineage: new LineageReader(config.projectDir, config.warehouseTarget.kind),
      runs,
      launcher,
    },
    auth: new OperatorAuth(token, !isLoopbackHost(host)),
    currency: config.reporting_currency,
    log: options.log,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(started));
    started.once('error', (error: NodeJS.ErrnoException) => {
      gold.close();
      void runs.close();
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(
              `serve: port ${port} on ${host} is already in use; choose another with --port or serve.port`,
            )
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? new ConfigError(`serve: cannot listen on ${host}: no such address on this machine`)
            : error,
      );
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          gold.close();
          void runs.close().then(resolve);
        });
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

function describeRef(config: ResolvedConfig): string {
  const ref = config.serve.token!;
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  return `AWS secret ${ref.aws_secret}`;
}
