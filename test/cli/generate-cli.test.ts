import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/lake-files.ts';
import { runCli } from '../helpers/run-cli.ts';

const SMALL = ['--rows', '200'];

function smallHome(): string {
  const home = tempDir();
  writeFileSync(join(home, 'fintech-etl.yaml'), 'generator:\n  customers: 50\n  merchants: 30\n');
  return home;
}

describe('generate CLI', () => {
  it('prints one JSON summary with the ground truth, and says unchanged when run again', async () => {
    const home = smallHome();
    const first = await runCli([
      '--home',
      home,
      '--json',
      'generate',
      '--from',
      '2025-03-01',
      '--to',
      '2025-03-02',
      ...SMALL,
    ]);
    expect(first.status).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary.dates.map((date: { date: string }) => date.date)).toEqual(['2025-03-01', '2025-03-02']);
    expect(summary.dates[0].transactions).toMatchObject({ new: expect.any(Number), bad: expect.any(Number) });
    expect(existsSync(join(home, 'lake/bronze/cards/ingest_date=2025-03-02/_manifest.json'))).toBe(true);

    const again = await runCli(['--home', home, 'generate', '--from', '2025-03-02', ...SMALL]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/2025-03-02 .* unchanged/);

    const different = await runCli([
      '--home',
      home,
      'generate',
      '--from',
      '2025-03-02',
      ...SMALL,
      '--seed',
      '5',
    ]);
    expect(different.status).toBe(1);
    expect(different.stderr).toMatch(
      /ingest_date=2025-03-02 already exists with different content.*immutable/,
    );
  });

  it('refuses bad flags with exit 2, naming the option', async () => {
    const home = smallHome();
    const cases: [string[], RegExp][] = [
      [['generate', '--from', '2025-02-30'], /--from.*must be a date as YYYY-MM-DD/],
      [['generate', '--from', '2025-03-01', '--late-rate', '1.5'], /--late-rate.*between 0 and 1/],
      [['generate', '--from', '2025-03-01', '--rows', '-3'], /--rows.*non-negative integer/],
      [['generate', '--from', '2025-03-02', '--to', '2025-03-01', ...SMALL], /date range is reversed/],
      [['generate', '--to', '2025-03-01'], /required option '--from <date>'/],
      [['demo', '--days', '0'], /--days.*positive integer/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(['--home', home, ...args])));
    for (const [position, [args, message]] of cases.entries()) {
      expect(results[position]!.status, args.join(' ')).toBe(2);
      expect(results[position]!.stderr).toMatch(message);
    }
  });

  it('refuses a bad generator config with exit 2, naming the key', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'fintech-etl.yaml'), 'generator:\n  dup_rate: 3\n');
    const result = await runCli(['--home', home, 'generate', '--from', '2025-03-01']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/config key 'generator\.dup_rate' has value 3/);
  });

  it('runs the demo for a fixed end date and prints a table per date', async () => {
    const home = smallHome();
    const result = await runCli([
      '--home',
      home,
      'demo',
      '--days',
      '2',
      '--rows',
      '100',
      '--to',
      '2025-03-10',
    ]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/ingest_date\s+records\s+new\s+dup\s+updates\s+bad\s+late/);
    expect(result.stdout).toMatch(/2025-03-09 .*written/);
    expect(result.stdout).toMatch(/2025-03-10 .*written/);
    // What `npm start` leaves on screen last: where to look at the results.
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      `dashboards, pipeline runs, data health and lineage: ./bin/fintech-etl --home ${home} serve   (then open http://127.0.0.1:8080/)`,
    );
  });
});
