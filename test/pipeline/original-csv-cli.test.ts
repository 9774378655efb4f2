/**
 * The original project's daily CSV (no entity files) through the real CLI: ingest → run → query. Covers the
 * inferred dimension members (also across two days), the empty staging tables for missing entities, and the JSON outputs users script.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../bin/fintech-etl', import.meta.url));
const CSV = `transaction_id,customer_id,card_id,merchant_id,txn_ts,amount,currency,mcc,status,is_refund,channel
tx-1,cust-1,card-1,m-1,2024-06-01 09:15:00,15000,KRW,5411,approved,False,pos
tx-2,cust-1,card-1,m-2,2024-06-01 12:30:00,8500,KRW,5812,approved,False,mobile
tx-3,cust-2,card-2,m-1,2024-06-01 18:00:00,42000,KRW,5411,declined,False,online
tx-4,cust-2,card-2,m-3,2024-05-31 23:50:00,120000,KRW,7011,approved,False,online
tx-5,,card-3,m-1,2024-06-01 10:00:00,1000,KRW,5411,approved,False,pos
`;

function cli(home: string, args: string[]) {
  return spawnSync(CLI, ['--home', home, ...args], { encoding: 'utf8' });
}

describe('the original project CSV through ingest, run and query', () => {
  it('lands, reconciles, builds inferred dimensions and the marts', () => {
    const home = mkdtempSync(join(tmpdir(), 'fintech-csv-'));
    const file = join(home, 'transactions_2024-06-01.csv');
    writeFileSync(file, CSV);

    expect(cli(home, ['ingest', file]).status).toBe(0);
    const run = cli(home, ['--json', 'run', '--date', '2024-06-01']);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.ok).toBe(true);
    expect(
      summary.tasks.map((task: { task: string; state: string }) => `${task.task}:${task.state}`),
    ).toEqual([
      'silver:success',
      'quality:success',
      'load:success',
      'models:success',
      'tests:success',
      'gold:success',
    ]);
    expect(summary.ledger).toMatchObject({
      bronze_rows: 5,
      inserted: 4,
      superseded: 0,
      duplicates: 0,
      quarantined: 1,
    });
    expect(summary.ledger.quarantined_by_reason).toEqual({ missing_required: 1 });

    const query = (sql: string) => {
      const result = cli(home, ['query', sql, '--format', 'json']);
      expect(result.status, result.stderr).toBe(0);
      return JSON.parse(result.stdout);
    };
    expect(query('select customer_id, is_inferred from core.dim_customer order by 1')).toEqual([
      { customer_id: 'cust-1', is_inferred: true },
      { customer_id: 'cust-2', is_inferred: true },
    ]);
    expect(
      query(
        'select event_date, merchant_category, channel, purchase_count, net_amount from marts.mart_sales_daily order by 1, 2, 3',
      ),
    ).toEqual([
      {
        event_date: '2024-05-31',
        merchant_category: 'lodging',
        channel: 'online',
        purchase_count: 1,
        net_amount: '120000.00',
      },
      {
        event_date: '2024-06-01',
        merchant_category: 'dining',
        channel: 'mobile',
        purchase_count: 1,
        net_amount: '8500.00',
      },
      {
        event_date: '2024-06-01',
        merchant_category: 'grocery',
        channel: 'online',
        purchase_count: 0,
        net_amount: '0.00',
      },
      {
        event_date: '2024-06-01',
        merchant_category: 'grocery',
        channel: 'pos',
        purchase_count: 1,
        net_amount: '15000.00',
      },
    ]);
    // audit.runs: the state store's runs, mirrored for SQL users.
    expect(query("select count(*) as runs from audit.runs where state = 'success'")).toEqual([{ runs: 1 }]);

    const refused = cli(home, ['query', 'delete from core.fact_transactions']);
    expect(refused.status).toBe(2);

    // A merchant no snapshot knows: inferred from a transaction of the run (the newest one it has).
    const inferred = (merchant_id: string, merchant_category: string, transaction_id: string) => ({
      merchant_id,
      merchant_category,
      is_inferred: true,
      inferred_from_transaction_id: transaction_id,
    });
    const merchants = () =>
      query(
        'select merchant_id, merchant_category, is_inferred, inferred_from_transaction_id from core.dim_merchant order by 1',
      );
    expect(merchants()).toEqual([
      inferred('m-1', 'grocery', 'tx-3'),
      inferred('m-2', 'dining', 'tx-2'),
      inferred('m-3', 'lodging', 'tx-4'),
    ]);
    // The next day: m-1 sells dining now (newer than what it was inferred from), and a late transaction of m-3
    // names another MCC, but is older than the one m-3 was inferred from.
    const nextDay = join(home, 'transactions_2024-06-02.csv');
    writeFileSync(
      nextDay,
      `${CSV.split('\n')[0]}
tx-6,cust-1,card-1,m-1,2024-06-02 08:00:00,9000,KRW,5812,approved,False,pos
tx-7,cust-2,card-2,m-3,2024-05-30 09:00:00,5000,KRW,5411,approved,False,pos
tx-8,cust-2,card-2,m-4,2024-06-02 09:00:00,7000,KRW,5411,approved,False,pos
`,
    );
    expect(cli(home, ['ingest', nextDay]).status).toBe(0);
    const second = cli(home, ['run', '--date', '2024-06-02']);
    expect(second.status, second.stderr).toBe(0);
    expect(merchants()).toEqual([
      inferred('m-1', 'dining', 'tx-6'),
      inferred('m-2', 'dining', 'tx-2'),
      inferred('m-3', 'lodging', 'tx-4'),
      inferred('m-4', 'grocery', 'tx-8'),
    ]);
  });

  it('exits 1 and names the task when the day has no bronze', () => {
    const home = mkdtempSync(join(tmpdir(), 'fintech-csv-'));
    const run = cli(home, ['run', '--date', '2024-06-02']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /run for 2024-06-02 failed in task silver: no bronze transactions partition for ingest_date=2024-06-02/,
    );
  });
});
