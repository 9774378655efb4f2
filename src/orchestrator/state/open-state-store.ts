/**
 * Opens the configured state store (config `state`): the SQLite file under home by default, PostgreSQL for a
 * `postgres://` URL (its password from `state_password` when the URL holds none). The CLI calls this; nothing
 * else chooses an implementation.
 */
import type { ResolvedConfig } from '../../config/load-config.ts';
import { resolveSecret, type SecretContext } from '../../config/secrets.ts';
import { ConfigError } from '../../core/errors.ts';
import { PostgresStateStore } from './postgres/postgres-state-store.ts';
import { SqliteStateStore } from './sqlite/sqlite-state-store.ts';
import type { StateStore } from './state-store.ts';

export async function openStateStore(
  config: Pick<ResolvedConfig, 'stateTarget' | 'state_password' | 'home'>,
  secrets: Omit<SecretContext, 'home'> = { env: process.env },
): Promise<StateStore> {
  const target = config.stateTarget;
  if (target.kind === 'sqlite') return new SqliteStateStore(target.path);
  const password = config.state_password
    ? await resolveSecret(config.state_password, { ...secrets, home: config.home })
    : undefined;
  if (config.state_password && password === undefined) {
    throw new ConfigError(`config key 'state_password': the secret it refers to is not set`);
  }
  return PostgresStateStore.open(target.url, password ? { password } : {});
}
