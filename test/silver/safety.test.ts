import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/core/errors.ts';
import { type EventSink, NO_EVENTS } from '../../src/core/pipeline-event.ts';
import { resolveTokenizationKey } from '../../src/silver/tokenization-key.ts';
import { createSilverFixture, query, txn, writeBronze } from './silver-fixture.ts';

const PANS = ['4111111111111111', '5500005555555559', '378282246310005', '4012888888881881'];

async function parquetFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    if (entry.endsWith('.parquet')) found.push(join(dir, entry));
  }
  return found;
}

describe('silver safety', () => {
  it('leaves no PAN digits anywhere in silver, the index, quarantine or the ledger', async () => {
    const f = createSilverFixture();
    await writeBronze(f.lake, '2025-03-01', [
      {
        name: 'part-00000.jsonl',
        lines: [
          txn('P1', { card_number: PANS[0] }),
          txn('P2', { card_number: PANS[1], merchant_name: `note ${PANS[2]}` }),
          txn('P3', { card_number: PANS[3], amount: 'bad' }),
          `{"transaction_id": "P4", "card_number": "${PANS[2]}", broken`,
          txn('P5', { card_number: '4111 1111 1111 1111' }),
        ],
      },
    ]);
    await writeBronze(
      f.lake,
      '2025-03-01',
      [{ name: 'part-00000.jsonl', lines: [{ card_id: 'K1', customer_id: 'C1', card_number: PANS[1] }] }],
      'cards',
    );
    const { ledger } = await f.run('2025-03-01');
    expect(ledger).toMatchObject({ inserted: 2, quarantined: 3 });
    const files = [
      ...(await parquetFiles(join(f.lake.root, 'silver'))),
      ...(await parquetFiles(join(f.lake.root, 'quarantine'))),
    ];
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      // Every column, cast to text, searched for every PAN and the spaced PAN.
      const hits = await query(
        `SELECT count(*) AS n FROM read_parquet('${file}') t
         WHERE ${[...PANS, '4111 1111 1111 1111'].map((pan) => `contains(CAST(t AS VARCHAR), '${pan}')`).join(' OR ')}`,
      );
      expect(hits[0]!['n'], file).toBe('0');
    }
    const ledgerText = await readFile(
      join(f.lake.ledger(), 'transactions', 'ingest_date=2025-03-01', 'run-1.json'),
      'utf8',
    );
    for (const pan of PANS) expect(ledgerText).not.toContain(pan);
    const cards = await query(`SELECT * FROM read_parquet('${f.lake.silverEntity('cards')}/*/*.parquet')`);
    expect(cards).toMatchObject([{ card_id: 'K1', card_bin: '550000', card_last4: '5559' }]);
    expect(Object.keys(cards[0]!)).not.toContain('card_number');
  });

  it('fails on a corrupt gzip file, naming it, and commits nothing', async () => {
    const f = createSilverFixture();
    await writeBronze(f.lake, '2025-03-01', [
      { name: 'part-00000.jsonl', lines: [txn('OK')] },
      { name: 'part-00001.jsonl.gz', bytes: Buffer.from('this is not gzip at all') },
    ]);
    const run = f.run('2025-03-01');
    await expect(run).rejects.toThrow(PipelineError);
    await expect(run).rejects.toThrow(/bronze\/transactions\/ingest_date=2025-03-01\/part-00001\.jsonl\.gz/);
    expect(await parquetFiles(join(f.lake.root, 'silver'))).toEqual([]);
    expect(await parquetFiles(join(f.lake.root, 'quarantine'))).toEqual([]);
    expect(existsSync(f.lake.ledger())).toBe(false);
    expect(await readdir(join(f.lake.staging(), 'silver'))).toEqual([]);
  });

  it('reads gzip JSON Lines', async () => {
    const f = createSilverFixture();
    await writeBronze(f.lake, '2025-03-01', [
      { name: 'part-00000.jsonl.gz', lines: [txn('Z1'), txn('Z2'), 'nope'], gzip: true },
    ]);
    expect((await f.run('2025-03-01')).ledger).toMatchObject({ bronze_rows: 3, inserted: 2, quarantined: 1 });
  });

  it('creates the default tokenization key once, mode 0600, and says so', async () => {
    const f = createSilverFixture();
    const notices: string[] = [];
    const events: EventSink = {
      emit: (event) => {
        if (event.kind === 'notice') notices.push(event.message);
      },
    };
    const first = await resolveTokenizationKey(f.config, events, {});
    const second = await resolveTokenizationKey(f.config, events, {});
    expect(first.equals(second)).toBe(true);
    expect(first.toString('utf8')).toMatch(/^[0-9a-f]{64}$/);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/created a new tokenization key in .*secrets\/tokenization\.key/);
    expect(statSync(join(f.home, 'secrets', 'tokenization.key')).mode & 0o777).toBe(0o600);
  });

  it('refuses a missing tokenization key that is not the default file', async () => {
    const f = createSilverFixture();
    f.config.tokenization = { key: { env: 'SILVER_TEST_KEY' } };
    await expect(resolveTokenizationKey(f.config, NO_EVENTS, {})).rejects.toThrow(
      /tokenization\.key.*SILVER_TEST_KEY.*not set/,
    );
  });
});
