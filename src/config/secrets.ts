/**
 * Resolves secrets by reference (DESIGN.md §5.8). The value is registered with `redact()` the moment it is
 * read, so it cannot reach a log or an error message afterwards.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { registerSecret } from '../core/redact.ts';
import type { SecretRef } from './config-schema.ts';

/**
 * Fetches a secret's text from AWS Secrets Manager; injected so tests can check the exact request. Default:
 * `awsSecretsManagerFetcher()` (the SDK with its credential chain).
 */
export type AwsSecretFetcher = (secretId: string, region: string | undefined) => Promise<string>;

/** One fetch per secret and region for the life of the process: a run asks Secrets Manager once. */
const awsSecretCache = new Map<string, Promise<string>>();

/** Forgets fetched AWS secrets (tests; a long-running process after a rotation). */
export function clearAwsSecretCache(): void {
  awsSecretCache.clear();
}

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
  const text = await fetchAwsSecretOnce(ref.aws_secret, ref.region, context);
  if (ref.key === undefined) return text;
  return fieldOfJsonSecret(ref.aws_secret, text, ref.key);
}

async function fetchAwsSecretOnce(
  secretId: string,
  region: string | undefined,
  context: SecretContext,
): Promise<string> {
  const cacheKey = `${region ?? ''}\u0000${secretId}`;
  let pending = awsSecretCache.get(cacheKey);
  if (!pending) {
    const fetcher =
      context.fetchAwsSecret ?? (await import('./aws-secrets-manager.ts')).awsSecretsManagerFetcher();
    pending = fetcher(secretId, region).then((text) => {
      registerJsonSecretValues(text);
      return text;
    });
    awsSecretCache.set(cacheKey, pending);
    pending.catch(() => awsSecretCache.delete(cacheKey));
  }
  return pending;
}

/** A JSON secret holds several secrets (user and password, key id and key): every string in it is redacted. */
function registerJsonSecretValues(text: string): void {
  registerSecret(text);
  const parsed = parseJsonObject(text);
  if (!parsed) return;
  for (const value of Object.values(parsed)) if (typeof value === 'string') registerSecret(value);
}

function fieldOfJsonSecret(secretId: string, text: string, key: string): string {
  const parsed = parseJsonObject(text);
  if (!parsed)
    throw new ConfigError(`secret '${secretId}' is not a JSON object, so it has no field '${key}'`);
  const value = parsed[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new ConfigError(
    `secret '${secretId}' has no text field '${key}' (fields: ${Object.keys(parsed).join(', ') || 'none'})`,
  );
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
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
