/**
 * `fintech-etl query "SQL" [--format table|csv|json]`: read-only SQL on the warehouse. A write statement is
 * refused (exit 2). `json` prints one array of row objects with DECIMAL as exact strings and dates as ISO
 * strings — the same values on every engine.
 */
import type { Command } from 'commander';
import { FintechEtlError, UsageError } from '../../core/errors.ts';
import { openWarehouse } from '../../warehouse/open-warehouse.ts';
import { type QueryResult, ReadOnlyViolation, type WarehouseValue } from '../../warehouse/warehouse.ts';
import type { CliContext } from '../cli-context.ts';
import { oneOf } from '../option-parsers.ts';
import { renderEvents } from '../render-events.ts';

function csvField(value: WarehouseValue): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function formatCsv(result: QueryResult): string {
  const lines = [result.columns.map((c) => csvField(c)).join(',')];
  for (const row of result.rows) lines.push(result.columns.map((c) => csvField(row[c] ?? null)).join(','));
  return `${lines.join('\n')}\n`;
}

export function formatTable(result: QueryResult): string {
  const cells = result.rows.map((row) =>
    result.columns.map((c) => (row[c] === null ? 'NULL' : String(row[c]))),
  );
  const widths = result.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join(' │ ')
      .trimEnd();
  return [
    line(result.columns),
    widths.map((w) => '─'.repeat(w)).join('─┼─'),
    ...cells.map(line),
    `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`,
  ].join('\n');
}

export function registerQueryCommand(program: Command, context: CliContext): void {
  program
    .command('query')
    .description('read-only SQL on the warehouse')
    .argument('<sql>', 'one SELECT statement')
    .option('--format <format>', 'table, csv or json', oneOf('table', 'csv', 'json'), 'table')
    .action(async (sql: string, flags: { format: 'table' | 'csv' | 'json' }) => {
      // The staging views read silver's files in place (a local lake's, or the cache's copies of an S3 lake's).
      const silver = (await context.lake()).localFolder('silver');
      const warehouse = await openWarehouse(context.config(), {
        events: renderEvents(),
        forQuery: { readableFolders: [silver] },
      });
      let result: QueryResult;
      try {
        result = await warehouse.queryReadOnly(sql);
      } catch (error) {
        if (error instanceof ReadOnlyViolation)
          throw new UsageError(`query refused: ${error.message} (query is read-only)`);
        if (error instanceof FintechEtlError) throw error;
        throw new UsageError(`query failed: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await warehouse.close();
      }
      const format = context.options().json ? 'json' : flags.format;
      if (format === 'json') process.stdout.write(`${JSON.stringify(result.rows)}\n`);
      else if (format === 'csv') process.stdout.write(formatCsv(result));
      else process.stdout.write(`${formatTable(result)}\n`);
    });
}
