import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../models/project/load-project.ts';
import { bronzeFingerprint } from './bronze-fingerprint.ts';
import { changedModels, fingerprintProject } from './project-fingerprint.ts';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/model-project', import.meta.url));

function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fintech-fingerprint-'));
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

describe('fingerprintProject', () => {
  it('is stable across loads and vars, and names exactly the model whose SQL changed', () => {
    const dir = copyProject();
    const before = fingerprintProject(loadProject(dir, { vars: { logical_date: '2025-03-01' } }));
    expect(fingerprintProject(loadProject(dir, { vars: { logical_date: '2025-03-09' } }))).toEqual(before);
    expect(Object.keys(before.models)).toEqual(
      expect.arrayContaining([
        'daily_totals',
        'fct_payments',
        'macro:macros/money.sql',
        'seed:status_labels',
      ]),
    );

    const file = join(dir, 'models', 'core', 'daily_totals.sql');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('count(*) as payments', 'count(*) as payments, 1 as version'),
    );
    const after = fingerprintProject(loadProject(dir));
    expect(after.hash).not.toBe(before.hash);
    expect(changedModels(before, after)).toEqual(['daily_totals']);
    expect(changedModels(after, after)).toEqual([]);
  });

  it('names a changed config, engine variant, macro and seed', () => {
    const dir = copyProject();
    const before = fingerprintProject(loadProject(dir));
    const file = join(dir, 'models', 'core', 'daily_totals.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace("tags=['core']", "tags=['core', 'daily']"));
    writeFileSync(join(dir, 'models', 'marts', 'mart_engine.postgres.sql'), 'select 2 as engine_answer');
    writeFileSync(
      join(dir, 'macros', 'money.sql'),
      `${readFileSync(join(dir, 'macros', 'money.sql'), 'utf8')}\n-- changed\n`,
    );
    writeFileSync(
      join(dir, 'seeds', 'status_labels.csv'),
      `${readFileSync(join(dir, 'seeds', 'status_labels.csv'), 'utf8')}extra,Extra\n`,
    );
    expect(changedModels(before, fingerprintProject(loadProject(dir)))).toEqual([
      'daily_totals',
      'macro:macros/money.sql',
      'mart_engine',
      'seed:status_labels',
    ]);
  });
});

describe('bronzeFingerprint', () => {
  it('depends on the files and their content, not their order', () => {
    const a = { name: 'part-00000.jsonl', rows: 10, bytes: 100, sha256: 'aa' };
    const b = { name: 'part-00001.jsonl', rows: 5, bytes: 50, sha256: 'bb' };
    expect(bronzeFingerprint({ files: [a, b] })).toBe(bronzeFingerprint({ files: [b, a] }));
    expect(bronzeFingerprint({ files: [a, b] })).not.toBe(
      bronzeFingerprint({ files: [a, { ...b, sha256: 'bc' }] }),
    );
    expect(bronzeFingerprint({ files: [a] })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
