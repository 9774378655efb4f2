import { describe, expect, it } from 'vitest';
import { redact, registerSecret } from './redact.ts';

describe('redact', () => {
  it('masks card numbers standing alone, also at the end of a sentence', () => {
    expect(redact('card 4111111111111111 declined')).toBe('card 411111******1111 declined');
    expect(redact('PANs 5500005555555559, 378282246310005.')).toBe(
      'PANs 550000******5559, 378282******0005.',
    );
    expect(redact('"card_number":"4012888888881881"')).toBe('"card_number":"401288******1881"');
  });

  it('leaves decimal amounts alone, however many digits they have', () => {
    expect(redact('Could not cast value 99999999999999.99 to DECIMAL(18,2)')).toBe(
      'Could not cast value 99999999999999.99 to DECIMAL(18,2)',
    );
    expect(redact('sum 9999999999999999.99 overflows; ratio 0.123456789012345')).toBe(
      'sum 9999999999999999.99 overflows; ratio 0.123456789012345',
    );
    // a decimal next to a PAN does not shelter it
    expect(redact('12.50 paid with 4111111111111111')).toBe('12.50 paid with 411111******1111');
  });

  it('hides registered secrets and URL passwords', () => {
    registerSecret('s3cr3t-value');
    expect(redact('postgres://etl:hunter2@db:5432/x token s3cr3t-value')).toBe(
      'postgres://etl:***@db:5432/x token ***',
    );
  });
});
