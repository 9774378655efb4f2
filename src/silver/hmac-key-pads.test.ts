import { createHmac } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect, it } from 'vitest';
import { hmacKeyPads } from './hmac-key-pads.ts';
import { sqlLiteral } from './sql-template.ts';

it('computes in DuckDB the same HMAC-SHA256 as node:crypto, for short and over-long keys', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  for (const key of [Buffer.from('k'), Buffer.from('a'.repeat(64)), Buffer.alloc(100, 7)]) {
    const pads = hmacKeyPads(key);
    const inner = sqlLiteral({ kind: 'blob', bytes: pads.inner });
    const outer = sqlLiteral({ kind: 'blob', bytes: pads.outer });
    for (const pan of ['4111111111111111', '378282246310005']) {
      const reader = await connection.runAndReadAll(
        `SELECT sha256(${outer} || unhex(sha256(${inner} || encode('${pan}')))) AS token`,
      );
      expect(reader.getRowObjectsJS()[0]!['token']).toBe(createHmac('sha256', key).update(pan).digest('hex'));
    }
  }
  connection.closeSync();
  instance.closeSync();
});
