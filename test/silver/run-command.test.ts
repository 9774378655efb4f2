import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSilverFixture, txn, writeBronze } from './silver-fixture.ts';

const CLI = fileURLToPath(new URL('../../bin/fintech-etl', import.meta.url));

function cli(home: string, args: string[]) {
  return spawnSync(CLI, ['--home', home, ...args], { encoding: 'utf8', env: { ...process.env } });
}

describe('fintech-etl run --date', () => {
  it('runs silver, creates the tokenization key with a notice, and prints the ledger as JSON', async () => {
    const f = await createSilverFixture();
    await writeBronze(f.lake, '2025-03-01', [{ name: 'part-00000.jsonl', lines: [txn('A'), txn('A'), 'x'] }]);
    const result = cli(f.home, ['--json', 'run', '--date', '2025-03-01']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/created a new tokenization key/);
    const output = JSON.parse(result.stdout) as { ledger: Record<string, unknown> };
    expect(output.ledger).toMatchObject({ bronze_rows: 3, inserted: 1, duplicates: 1, quarantined: 1 });
    expect(existsSync(join(f.home, 'secrets', 'tokenization.key'))).toBe(true);
    expect(cli(f.home, ['run', '--date', '2025-03-01']).stderr).not.toMatch(/created/);
  });

  it('exits 1 naming the file when a bronze file cannot be read', async () => {
    const f = await createSilverFixture();
    await writeBronze(f.lake, '2025-03-01', [
      { name: 'part-00000.jsonl.gz', bytes: Buffer.from('not gzip') },
    ]);
    const result = cli(f.home, ['run', '--date', '2025-03-01']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /bronze file bronze\/transactions\/ingest_date=2025-03-01\/part-00000\.jsonl\.gz cannot be read/,
    );
    expect(cli(f.home, ['run', '--date', '2025-03-02']).status).toBe(1);
  });
});
