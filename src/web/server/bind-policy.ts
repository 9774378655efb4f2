/**
 * Where the server may listen. A loopback address reaches only this machine; any other address (0.0.0.0, a
 * LAN address, a host name) opens the pages to a network, which is refused unless `serve.token` is set.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../../core/errors.ts';

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare.startsWith('::ffff:127.');
}

/** Throws the ConfigError (exit 2) that explains how to bind `host` safely. */
export function assertBindAllowed(host: string, hasToken: boolean): void {
  if (isLoopbackHost(host) || hasToken) return;
  throw new ConfigError(
    `serve: binding ${host} would open the web app to the network; set serve.token (a secret reference such as ` +
      `{env: FINTECH_ETL_SERVE_TOKEN}) or bind 127.0.0.1`,
  );
}
