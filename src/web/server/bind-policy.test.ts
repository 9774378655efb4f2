import { describe, expect, it } from 'vitest';
import { assertBindAllowed, isLoopbackHost } from './bind-policy.ts';

describe('bind policy', () => {
  it('knows loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.5',
      '192.168.1.1',
      'example.com',
      '128.0.0.1',
      '::ffff:10.0.0.1',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('allows any address once a token is set, and loopback without one', () => {
    expect(() => assertBindAllowed('127.0.0.1', false)).not.toThrow();
    expect(() => assertBindAllowed('0.0.0.0', true)).not.toThrow();
    expect(() => assertBindAllowed('10.0.0.5', false)).toThrow(/set serve\.token/);
  });
});
