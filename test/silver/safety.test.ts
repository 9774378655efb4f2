import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../src/core/errors.ts';
import { type EventSink, NO_EVENTS } from '../../src/core/pipeline-event.ts';
import type { Lake } from '../../src/lake/lake.ts';
import { LEDGER_TABLE, QUARANTINE_TABLE, silverTable } from '../../src/lake/lake-layout.ts';
import { listAll } from '../../src/lake/object-store.ts';
import { resolveTokenizationKey } from '../../src/silver/tokenization-key.ts';
import { tempDir } from '../helpers/lake-files.ts';
import { STORE_KINDS, stopSharedS3Server } from '../helpers/test-lake.ts';
import { committedParquet, createSilverFixture, query, txn, writeBronze } from './silver-fixture.ts';

afterAll(stopSharedS3Server);

const PANS = ['4111111111111111', '5500005555555559', '378282246310005', '4012888888881881'];

/** Every object of the lake outside bronze (data, logs, commit records), whether committed or not. */
async function objectsPastBronze(lake: Lake): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of listAll(lake.store, '')) {
    if (!object.key.startsWith('bronze/') && !object.key.startsWith('_leases/')) keys.push(object.key);
  }
  return keys;
}

describe.each(STORE_KINDS)('silver safety (%s lake)', (store) => {
  it('leaves no PAN digits in any object past bronze: silver, the index, quarantine, the ledger, the logs', async () => {
    const f = await createSilverFixture({ store });
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
    const keys = await objectsPastBronze(f.lake);
    const parquet = keys.filter((key) => key.endsWith('.parquet') && !key.includes('/_delta_log/'));
    expect(parquet.length).toBeGreaterThanOrEqual(4);
    const download = tempDir('pan-scan-');
    for (const [index, key] of keys.entries()) {
      const path = join(download, String(index));
      await f.lake.store.getToFile(key, path);
      // Parquet: every column, cast to text; anything else (JSON entries, logs): its text.
      const text = (await f.lake.store.get(key)).toString('utf8');
      const hits = parquet.includes(key)
        ? Number(
            (
              await query(
                `SELECT count(*) AS n FROM read_parquet('${path}') t
                 WHERE ${[...PANS, '4111 1111 1111 1111'].map((pan) => `contains(CAST(t AS VARCHAR), '${pan}')`).join(' OR ')}`,
              )
            )[0]!['n'],
          )
        : PANS.filter((pan) => text.includes(pan)).length;
      expect(hits, key).toBe(0);
    }
    const cards = await query(`SELECT * FROM ${await committedParquet(f.lake, silverTable('cards'))}`);
    expect(cards).toMatchObject([{ card_id: 'K1', card_bin: '550000', card_last4: '5559' }]);
    expect(Object.keys(cards[0]!)).not.toContain('card_number');
  });

  it('fails on a corrupt gzip file, naming it, and commits nothing', async () => {
    const f = await createSilverFixture({ store });
    await writeBronze(f.lake, '2025-03-01', [
      { name: 'part-00000.jsonl', lines: [txn('OK')] },
      { name: 'part-00001.jsonl.gz', bytes: Buffer.from('this is not gzip at all') },
    ]);
    const run = f.run('2025-03-01');
    await expect(run).rejects.toThrow(PipelineError);
    await expect(run).rejects.toThrow(/bronze\/transactions\/ingest_date=2025-03-01\/part-00001\.jsonl\.gz/);
    // Nothing committed, nothing even uploaded, no work files left.
    for (const table of [silverTable('transactions'), QUARANTINE_TABLE, LEDGER_TABLE])
      expect((await f.lake.snapshot(table)).exists).toBe(false);
    expect(await objectsPastBronze(f.lake)).toEqual([]);
    const scratch =
      store === 'local' ? join(f.home, 'lake', '.tmp', 'work') : join(f.config.lakeSettings.cacheDir, 'work');
    expect(await readdir(scratch)).toEqual([]);
  });

  it('reads gzip JSON Lines', async () => {
    const f = await createSilverFixture({ store });
    await writeBronze(f.lake, '2025-03-01', [
      { name: 'part-00000.jsonl.gz', lines: [txn('Z1'), txn('Z2'), 'nope'], gzip: true },
    ]);
    expect((await f.run('2025-03-01')).ledger).toMatchObject({ bronze_rows: 3, inserted: 2, quarantined: 1 });
  });

  it('creates the default tokenization key once, mode 0600, and says so', async () => {
    const f = await createSilverFixture({ store });
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
    const f = await createSilverFixture({ store });
    f.config.tokenization = { key: { env: 'SILVER_TEST_KEY' } };
    await expect(resolveTokenizationKey(f.config, NO_EVENTS, {})).rejects.toThrow(
      /tokenization\.key.*SILVER_TEST_KEY.*not set/,
    );
  });
});
