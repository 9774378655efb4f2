/**
 * The one factory that turns the configured `lake:` into an {@link ObjectStore}: a local folder, or an S3
 * bucket/prefix with the `s3:` settings (region, endpoint, path style, encryption, credentials from secret
 * references or the SDK's default chain). The S3 SDK is imported only for an S3 lake.
 */
import type { ResolvedConfig } from '../config/load-config.ts';
import { resolveSecret, type SecretContext } from '../config/secrets.ts';
import { ConfigError } from '../core/errors.ts';
import { LocalObjectStore } from './local/local-object-store.ts';
import type { ObjectStore } from './object-store.ts';

export interface OpenObjectStoreOptions {
  env?: NodeJS.ProcessEnv;
  fetchAwsSecret?: SecretContext['fetchAwsSecret'];
}

export async function openObjectStore(
  config: Pick<ResolvedConfig, 'lakeLocation' | 's3' | 'home'>,
  options: OpenObjectStoreOptions = {},
): Promise<ObjectStore> {
  const location = config.lakeLocation;
  if (location.kind === 'local') return new LocalObjectStore(location.root);
  return openS3Store(config, location, options);
}

/**
 * A bucket/prefix reached with the lake's `s3:` settings (endpoint, credentials, encryption): the lake itself,
 * or a bucket that `ingest s3://…` reads from.
 */
export async function openS3Store(
  config: Pick<ResolvedConfig, 's3' | 'home'>,
  location: { bucket: string; prefix: string },
  options: OpenObjectStoreOptions = {},
): Promise<ObjectStore & { urlOf(key: string): string }> {
  const [{ S3Client }, { S3ObjectStore }] = await Promise.all([
    import('@aws-sdk/client-s3'),
    import('./s3/s3-object-store.ts'),
  ]);
  const s3 = config.s3;
  const secrets: SecretContext = {
    home: config.home,
    env: options.env ?? process.env,
    ...(options.fetchAwsSecret ? { fetchAwsSecret: options.fetchAwsSecret } : {}),
  };
  const credentials =
    s3.credentials === 'default' ? undefined : await resolveCredentials(s3.credentials, secrets);
  const client = new S3Client({
    ...(s3.region ? { region: s3.region } : {}),
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    forcePathStyle: s3.force_path_style,
    ...(credentials ? { credentials } : {}),
  });
  return new S3ObjectStore({
    client,
    bucket: location.bucket,
    prefix: location.prefix,
    encryption:
      s3.sse === 'aws:kms'
        ? { kind: 'aws:kms', ...(s3.kms_key_id ? { kmsKeyId: s3.kms_key_id } : {}) }
        : { kind: 'AES256' },
  });
}

async function resolveCredentials(
  refs: Exclude<ResolvedConfig['s3']['credentials'], 'default'>,
  context: SecretContext,
): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> {
  const required = async (name: string, ref: typeof refs.access_key_id) => {
    const value = await resolveSecret(ref, context);
    if (!value)
      throw new ConfigError(`config key 's3.credentials.${name}': the secret it refers to is not set`);
    return value;
  };
  const accessKeyId = await required('access_key_id', refs.access_key_id);
  const secretAccessKey = await required('secret_access_key', refs.secret_access_key);
  const sessionToken = refs.session_token ? await required('session_token', refs.session_token) : undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}
