/**
 * `query` on PostgreSQL: one statement in a READ ONLY transaction (no write), and no access to the server's
 * files. A warehouse user that may read them (a superuser, a member of pg_read_server_files, or granted
 * pg_read_file, pg_ls_dir, lo_import …) would otherwise let `query` print /etc/passwd or bronze files holding
 * PANs. `SET ROLE` to a weaker role is no boundary for such a session: `select set_config('role', …)` inside
 * the query switches back. So the query runs inside a SECURITY DEFINER function owned by the NOLOGIN role
 * `fintech_etl_query` (member of pg_read_all_data, PostgreSQL 14+): there PostgreSQL itself refuses the file
 * functions (no EXECUTE right), refuses any change of role ("cannot set parameter role within
 * security-definer function"), and runs SQL a query builds at run time (query_to_xml, ts_stat …) under the
 * same role. The role and the function are created on first use (the privileged user can); a user without
 * those rights runs its query as before, where PostgreSQL refuses the file functions already.
 */
import { type QueryResult, ReadOnlyViolation, type WarehouseRow } from '../warehouse.ts';
import { toQueryResult } from './connection-pool.ts';

/** The NOLOGIN role guarded queries run as. */
export const QUERY_ROLE = 'fintech_etl_query';
/** The SECURITY DEFINER function that runs them: `audit.read_only_query(sql) returns setof record`. */
export const QUERY_FUNCTION = 'audit.read_only_query';

const FUNCTION_BODY = ' begin return query execute sql; end ';

/** What this module needs of a pg client: text or extended-protocol queries, with parameters. */
export interface PgQueryClient {
  query(config: string | { text: string; values?: unknown[]; queryMode?: 'extended' }): Promise<unknown>;
}

interface PgResult {
  rows: WarehouseRow[];
  fields: { name: string; dataTypeID: number; dataTypeModifier: number }[];
}

/** May the session's user read server files? Then its queries need the guard. */
const CAN_READ_SERVER_FILES = `select ${[
  'pg_catalog.pg_read_file(text)',
  'pg_catalog.pg_read_binary_file(text)',
  'pg_catalog.pg_ls_dir(text)',
  'pg_catalog.pg_stat_file(text)',
  'pg_catalog.lo_import(text)',
]
  .map((fn) => `coalesce(has_function_privilege(to_regprocedure('${fn}'), 'execute'), false)`)
  .join(' or ')} as privileged`;

/** Statement kinds a guarded query may be: they can stand as a subquery, which is how its columns are read. */
const SELECT_KEYWORDS = new Set(['select', 'with', 'values', 'table', '(']);

/**
 * Runs `sql` on `client` read-only; a write, a second statement or (for a user who could) a read of server
 * files is a {@link ReadOnlyViolation}. Other errors are thrown as PostgreSQL gives them.
 */
export async function runReadOnlyQuery(client: PgQueryClient, sql: string): Promise<QueryResult> {
  const [{ privileged }] = (
    (await client.query(CAN_READ_SERVER_FILES)) as { rows: [{ privileged: boolean }] }
  ).rows;
  if (!privileged) return runPlainReadOnlyQuery(client, sql);
  const keyword = /^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)*([a-z]+|\()/i.exec(sql)?.[1]?.toLowerCase();
  if (!keyword || !SELECT_KEYWORDS.has(keyword)) {
    throw new ReadOnlyViolation(`only SELECT statements are allowed, got ${keyword ?? 'nothing'}`);
  }
  await ensureQueryFunction(client);
  // A statement's own trailing semicolon would end the subquery it is read in below.
  const statement = sql.replace(/[\s;]+$/, '');
  await client.query('begin transaction read only');
  try {
    // The columns, from the statement planned but not run (LIMIT 0 stops the executor before any row), as
    // the query role already. The statement sits in a subquery: whatever text it holds, the outermost select
    // and its LIMIT 0 are these.
    await client.query(`set local role ${QUERY_ROLE}`);
    // Planned on its own first (not run): a second statement or a syntax error is reported as the user wrote it.
    await client.query({ text: `explain ${statement}`, queryMode: 'extended' });
    const described = (await client.query({
      text: `select * from (\n${statement}\n) as fintech_query limit 0`,
      queryMode: 'extended',
    })) as PgResult;
    await client.query('reset role');
    const types = (await client.query({
      text: 'select format_type(oid, typmod) as type from unnest($1::oid[], $2::int[]) with ordinality as c(oid, typmod, n) order by n',
      values: [described.fields.map((f) => f.dataTypeID), described.fields.map((f) => f.dataTypeModifier)],
    })) as { rows: { type: string }[] };
    const columns = types.rows.map((row, i) => `c${i + 1} ${row.type}`);
    const result = (await client.query({
      text: `select * from ${QUERY_FUNCTION}($1) as fintech_query(${columns.join(', ')})`,
      values: [statement],
    })) as PgResult;
    const names = described.fields.map((field) => field.name);
    return {
      columns: names,
      rows: result.rows.map((row) =>
        Object.fromEntries(names.map((name, i) => [name, row[`c${i + 1}`] ?? null])),
      ),
    };
  } catch (error) {
    throw refusal(error) ?? error;
  } finally {
    await client.query('rollback');
  }
}

/** One statement in a READ ONLY transaction: what an engine without server file functions needs. */
export async function runPlainReadOnlyQuery(client: PgQueryClient, sql: string): Promise<QueryResult> {
  await client.query('begin transaction read only');
  try {
    return toQueryResult(await client.query({ text: sql, queryMode: 'extended' }));
  } catch (error) {
    throw refusal(error) ?? error;
  } finally {
    await client.query('rollback');
  }
}

/** The errors that mean "not allowed here", as the violation `query` reports with exit 2. */
function refusal(error: unknown): ReadOnlyViolation | undefined {
  const { code, message } = error as { code?: string; message?: string };
  if (code === '25006') return new ReadOnlyViolation('write statements are not allowed');
  if (code === '42601' && /multiple commands/.test(message ?? '')) {
    return new ReadOnlyViolation('exactly one statement is allowed');
  }
  if (code === '42501') {
    return new ReadOnlyViolation(`${message}: a query may not read server files or change its role`);
  }
  return undefined;
}

/**
 * Creates the role and the function when they are missing or differ (first use, or an older definition):
 * one transaction; a concurrent `query` doing the same may win the race, and the loser checks again.
 */
async function ensureQueryFunction(client: PgQueryClient): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { rows } = (await client.query({
      text: `select to_regrole('pg_read_all_data') is not null as has_read_all,
               case when to_regrole('${QUERY_ROLE}') is null or to_regrole('pg_read_all_data') is null then false
                    else pg_has_role(to_regrole('${QUERY_ROLE}'), 'pg_read_all_data', 'member') end as role_ready,
               coalesce((select p.prosecdef and p.proowner = to_regrole('${QUERY_ROLE}') and p.prosrc = $1
                           and not has_function_privilege('public', p.oid, 'execute')
                         from pg_proc p where p.oid = to_regprocedure('${QUERY_FUNCTION}(text)')), false)
                 as function_ready`,
      values: [FUNCTION_BODY],
    })) as { rows: [{ has_read_all: boolean; role_ready: boolean; function_ready: boolean }] };
    const [state] = rows;
    if (!state.has_read_all) {
      throw new ReadOnlyViolation(
        'the warehouse user can read server files, and this PostgreSQL (before 14) has no pg_read_all_data ' +
          'role to run queries without that right: connect as a user that cannot read server files',
      );
    }
    if (state.role_ready && state.function_ready) return;
    try {
      await client.query('begin');
      await client.query(`do $$ begin
        if to_regrole('${QUERY_ROLE}') is null then create role ${QUERY_ROLE} nologin; end if;
      end $$`);
      if (!state.role_ready) await client.query(`grant pg_read_all_data to ${QUERY_ROLE}`);
      await client.query('create schema if not exists audit');
      await client.query(
        `create or replace function ${QUERY_FUNCTION}(sql text) returns setof record language plpgsql
         security definer as $body$${FUNCTION_BODY}$body$`,
      );
      await client.query(`alter function ${QUERY_FUNCTION}(text) owner to ${QUERY_ROLE}`);
      await client.query(`revoke all on function ${QUERY_FUNCTION}(text) from public`);
      await client.query('commit');
      return;
    } catch (error) {
      await client.query('rollback');
      if (attempt < 3) continue;
      throw new ReadOnlyViolation(
        `the warehouse user can read server files, and creating role ${QUERY_ROLE} and function ` +
          `${QUERY_FUNCTION} to run queries without that right failed: ${(error as Error).message}`,
      );
    }
  }
}
