/**
 * Resolves secrets by reference (DESIGN.md §5.8). The value is registered with `redact()` the moment it is
 * read, so it cannot reach a log or an error message afterwards.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { registerSecret } from '../core/redact.ts';
import type { SecretRef } from './config-schema.ts';

/** Fetches a secret from AWS Secrets Manager; injected so tests can check the exact request. */
export type AwsSecretFetcher = (secretId: string, region: string | undefined) => Promise<string>;

export interface SecretContext {
  home: string;
  env: NodeJS.ProcessEnv;
  fetchAwsSecret?: AwsSecretFetcher;
}

/**
 * Reads the secret `ref` points to. An `{ env: NAME }` reference also honours `NAME_FILE` (the Docker/Kubernetes
 * convention) when `NAME` itself is unset. Returns undefined when the source does not exist, so callers can
 * decide whether a missing secret is an error or something to create (the demo's tokenization key).
 */
export async function resolveSecret(ref: SecretRef, context: SecretContext): Promise<string | undefined> {
  const value = await readSecretValue(ref, context);
  if (value !== undefined) registerSecret(value);
  return value;
}

async function readSecretValue(ref: SecretRef, context: SecretContext): Promise<string | undefined> {
  if ('env' in ref) {
    const direct = context.env[ref.env];
    if (direct) return direct;
    const file = context.env[`${ref.env}_FILE`];
    return file ? readSecretFile(file, `${ref.env}_FILE`) : undefined;
  }
  if ('file' in ref) {
    const path = isAbsolute(ref.file) ? ref.file : join(context.home, ref.file);
    return readSecretFile(path, 'file', true);
  }
  if (!context.fetchAwsSecret)
    throw new ConfigError(`secret '${ref.aws_secret}': AWS Secrets Manager is not configured`);
  return context.fetchAwsSecret(ref.aws_secret, ref.region);
}

async function readSecretFile(
  path: string,
  what: string,
  missingIsUndefined = false,
): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if (missingIsUndefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`secret ${what} '${path}' cannot be read: ${(error as Error).message}`);
  }
}
