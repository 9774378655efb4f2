/**
 * `fintech-etl serve [--host H] [--port P]`: the web app (dashboards, run grid, data health, lineage) until
 * Ctrl-C. Reads the lake's gold marts, ledger and quarantine and the run state; never opens the warehouse, so it
 * runs beside a pipeline.
 */
import type { Command } from 'commander';
import type { CliContext, RegisterCommand } from '../cli-context.ts';
import { nonNegativeInteger } from '../option-parsers.ts';

export const registerServeCommand: RegisterCommand = (program: Command, context: CliContext) => {
  program
    .command('serve')
    .description(
      'the web app: dashboards of the marts, run grid, data health, lineage (default 127.0.0.1:8080)',
    )
    .option('--host <host>', 'address to listen on (default serve.host, 127.0.0.1); others need serve.token')
    .option('--port <port>', 'port (default serve.port, 8080)', nonNegativeInteger)
    .action(async (options: { host?: string; port?: number }) => {
      const config = context.config();
      const lake = await context.lake();
      // Loaded only by this command: the other commands need neither Hono nor the pages.
      const { startWebServer } = await import('../../web/start-web-server.ts');
      const { dailyBatchEtl, dailyDagShape } = await import('../../../pipeline/dag/daily-batch-etl.ts');
      // Cut as the config cuts it (silver.check_jobs), so the grid's columns are the tasks runs have.
      const declared = dailyBatchEtl(undefined, dailyDagShape(config));
      const server = await startWebServer({
        config,
        lake,
        host: options.host,
        port: options.port,
        // The daily DAG's tasks are the run grid's columns, in order.
        dag: { name: declared.name, order: declared.order },
      });
      context.say(`fintech-etl web app on ${server.url}  (lake ${lake.location}; Ctrl-C stops it)`);
      if (context.options().json) context.emitJson({ url: server.url, lake: lake.location });
      // The first Ctrl-C closes the server once open requests end; a second one does not wait.
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = () => {
          if (stopping) process.exit(130);
          stopping = true;
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
};
