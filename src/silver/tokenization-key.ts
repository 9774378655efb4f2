/**
 * The PAN tokenization key (config `tokenization.key`). Tokens must be stable across runs, so the key is read,
 * never regenerated; only for the default file reference on a fresh home is a key created (so the demo works
 * with zero setup), and the caller is told so.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { ResolvedConfig } from '../config/load-config.ts';
import { resolveSecret } from '../config/secrets.ts';
import { ConfigError } from '../core/errors.ts';
import type { EventSink } from '../core/pipeline-event.ts';
import { registerSecret } from '../core/redact.ts';

export const DEFAULT_TOKENIZATION_KEY_FILE = 'secrets/tokenization.key';

export async function resolveTokenizationKey(
  config: ResolvedConfig,
  events: EventSink,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Buffer> {
  const ref = config.tokenization.key;
  const value = await resolveSecret(ref, { home: config.home, env });
  if (value !== undefined && value.length > 0) return Buffer.from(value, 'utf8');
  if ('file' in ref && ref.file === DEFAULT_TOKENIZATION_KEY_FILE) {
    const path = isAbsolute(ref.file) ? ref.file : join(config.home, ref.file);
    const created = randomBytes(32).toString('hex');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${created}\n`, { mode: 0o600, flag: 'wx' });
    registerSecret(created);
    events.emit({
      kind: 'notice',
      message: `created a new tokenization key in ${path} (keep it: card tokens depend on it)`,
    });
    return Buffer.from(created, 'utf8');
  }
  throw new ConfigError(`config key 'tokenization.key': the secret ${JSON.stringify(ref)} is not set`);
}
