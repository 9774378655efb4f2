import { describe, expect, it } from 'vitest';
import { sqlLiteral } from './sql-template.ts';

describe('sqlLiteral', () => {
  it('quotes strings so a quote cannot end the literal', () => {
    expect(sqlLiteral("it's'; DROP TABLE x; --")).toBe("'it''s''; DROP TABLE x; --'");
  });
  it('renders lists, blobs, numbers and refuses non-finite numbers', () => {
    expect(sqlLiteral(['KRW', "U'S"])).toBe("['KRW', 'U''S']::VARCHAR[]");
    expect(sqlLiteral({ kind: 'blob', bytes: Buffer.from([0, 255]) })).toBe("from_hex('00ff')");
    expect(sqlLiteral(86400)).toBe('86400');
    expect(() => sqlLiteral(Number.NaN)).toThrow();
  });
});
