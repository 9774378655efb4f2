/**
 * HMAC-SHA256 (RFC 2104) split so DuckDB can compute it per row with its built-in sha256():
 * HMAC(k, m) = sha256(opad || sha256(ipad || m)). The padded keys depend only on the key, so they are computed
 * once here and passed to SQL as blob literals; the PAN itself never leaves DuckDB.
 */
import { createHash } from 'node:crypto';

const BLOCK_BYTES = 64;

export interface HmacKeyPads {
  inner: Buffer;
  outer: Buffer;
}

export function hmacKeyPads(key: Buffer): HmacKeyPads {
  const block = Buffer.alloc(BLOCK_BYTES);
  (key.length > BLOCK_BYTES ? createHash('sha256').update(key).digest() : key).copy(block);
  return {
    inner: Buffer.from(block.map((byte) => byte ^ 0x36)),
    outer: Buffer.from(block.map((byte) => byte ^ 0x5c)),
  };
}
