/** The per-date table of what the generator landed in bronze (used by `generate` and `demo`). */
import type { GeneratedDate } from '../../generate/generate-bronze.ts';
import type { CliContext } from '../cli-context.ts';

export function printGeneratedDates(context: CliContext, generated: GeneratedDate[]): void {
  const header = [
    'ingest_date',
    'records',
    'new',
    'dup',
    'updates',
    'bad',
    'late',
    'customers',
    'cards',
    'merchants',
    'result',
  ];
  const rows = generated.map(({ date, transactions: t, entities, result }) => [
    date,
    t.records,
    t.new,
    t.duplicates,
    t.updates,
    t.bad,
    t.late,
    entities.customers,
    entities.cards,
    entities.merchants,
    result,
  ]);
  const table = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  for (const row of table) {
    context.say(
      row
        .map((cell, column) =>
          column === 0 || column === row.length - 1
            ? cell.padEnd(widths[column]!)
            : cell.padStart(widths[column]!),
        )
        .join('  ')
        .trimEnd(),
    );
  }
}
