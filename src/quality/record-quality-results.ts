/**
 * `audit.quality_results`: one row per expectation result (per partition for per-partition ones) and run,
 * appended under the run id and never overwritten by another run — unlike dbt's stored failures, every run's
 * results stay queryable. A retried task replaces its own run's rows (delete + insert in one transaction).
 */
import type { Relation, Warehouse } from '../warehouse/warehouse.ts';
import type { QualityRunRecord } from './quality-results-store.ts';

export const AUDIT_QUALITY_RESULTS: Relation = { schema: 'audit', name: 'quality_results' };

const TEXT_LIMIT = 60_000;
const INSERT_ROWS = 200;

export async function recordQualityResults(warehouse: Warehouse, record: QualityRunRecord): Promise<number> {
  await warehouse.ensureSchema(AUDIT_QUALITY_RESULTS.schema);
  const table = warehouse.quoteRelation(AUDIT_QUALITY_RESULTS);
  await warehouse.execute(
    `create table if not exists ${table} (run_id varchar(128), ingest_date date, dataset varchar(32), suite varchar(256), expectation_id varchar(1024), expectation varchar(128), column_name varchar(512), partition_key varchar(256), severity varchar(8), success boolean, observed_value varchar(65535), element_count bigint, unexpected_count bigint, unexpected_percent double precision, details varchar(65535), sample varchar(65535), accepted boolean, evaluated_at timestamp)`,
  );
  const text = (value: string | null) =>
    value === null ? 'null' : warehouse.quoteLiteral(value.slice(0, TEXT_LIMIT));
  const number = (value: number | null) => (value === null ? 'null' : String(value));
  const evaluatedAt = record.evaluatedAt.replace('T', ' ').replace('Z', '');
  const rows = record.results.map((result) =>
    [
      text(record.runId),
      `cast(${text(record.ingestDate)} as date)`,
      text(result.dataset),
      text(result.suite),
      text(result.expectationId),
      text(result.expectation),
      text(result.column),
      text(result.partition),
      text(result.severity),
      result.success === null ? 'cast(null as boolean)' : String(result.success),
      text(result.observed === null ? null : JSON.stringify(result.observed)),
      `cast(${number(result.elementCount)} as bigint)`,
      `cast(${number(result.unexpectedCount)} as bigint)`,
      `cast(${number(result.unexpectedPercent)} as double precision)`,
      text(result.details),
      text(result.sample.length ? sampleText(result.sample) : null),
      String(record.accepted),
      `cast(${text(evaluatedAt)} as timestamp)`,
    ].join(', '),
  );
  await warehouse.transaction(async (session) => {
    await session.execute(`delete from ${table} where run_id = ${text(record.runId)}`);
    for (let start = 0; start < rows.length; start += INSERT_ROWS) {
      const values = rows
        .slice(start, start + INSERT_ROWS)
        .map((row) => `(${row})`)
        .join(',\n');
      await session.execute(`insert into ${table} values ${values}`);
    }
  });
  return rows.length;
}

/** The sample as JSON, whole rows dropped from the end until it fits the column. */
function sampleText(sample: unknown[]): string {
  let rows = sample;
  let textOf = JSON.stringify(rows);
  while (textOf.length > TEXT_LIMIT && rows.length > 1) {
    rows = rows.slice(0, Math.floor(rows.length / 2));
    textOf = JSON.stringify(rows);
  }
  return textOf.slice(0, TEXT_LIMIT);
}
