import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inspectFile } from './inspect-file.ts';

function file(name: string, content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'inspect-')), name);
  writeFileSync(path, content);
  return path;
}

describe('inspectFile', () => {
  it('counts CSV records, not lines: quoted newlines, CRLF, a BOM and blank lines', async () => {
    const csv = '\uFEFFTransaction_ID, amount\r\n1,"12,5"\r\n2,"multi\nline"\r\n\r\n3,4';
    expect(await inspectFile(file('a.csv', csv), 'csv')).toEqual({
      gzip: false,
      fields: ['transaction_id', 'amount'],
      records: 3,
    });
  });

  it('reads gzip content and takes fields from the first JSON line that parses', async () => {
    const jsonl = gzipSync('{oops\n{"a":1,"b":2}\n\n{"c":3}\n');
    expect(await inspectFile(file('a.jsonl.gz', jsonl), 'jsonl')).toEqual({
      gzip: true,
      fields: ['a', 'b'],
      records: 3,
    });
  });

  it('skips JSON lines of Unicode spaces but counts a line of a tab, as silver does', async () => {
    const jsonl = '{"a":1}\r\n  \r\n\u00a0\u3000\n\t\n\n{"a":2}';
    expect((await inspectFile(file('b.jsonl', jsonl), 'jsonl')).records).toBe(3);
  });
});
