/**
 * Reads secrets from AWS Secrets Manager (`{aws_secret: ID, region: R}` references) with the SDK's credential
 * chain. The SDK is imported on first use, so a run without such a reference never loads it.
 */
import { ConfigError } from '../core/errors.ts';
import type { AwsSecretFetcher } from './secrets.ts';

export interface AwsSecretsManagerOptions {
  /** A Secrets Manager-compatible endpoint (tests, VPC endpoints); default: AWS's for the region. */
  endpoint?: string;
  /** Static credentials (tests); default: the SDK's chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** A fetcher that sends `GetSecretValue` and returns the secret's text (SecretString, or SecretBinary as UTF-8). */
export function awsSecretsManagerFetcher(options: AwsSecretsManagerOptions = {}): AwsSecretFetcher {
  return async (secretId, region) => {
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({
      ...(region ? { region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    try {
      const response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (response.SecretString !== undefined) return response.SecretString;
      if (response.SecretBinary) return Buffer.from(response.SecretBinary).toString('utf8');
      throw new ConfigError(`secret '${secretId}' in AWS Secrets Manager has no value`);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const name = (error as Error).name;
      throw new ConfigError(
        `secret '${secretId}' cannot be read from AWS Secrets Manager${region ? ` (${region})` : ''}: ${name}: ${(error as Error).message}`,
      );
    } finally {
      client.destroy();
    }
  };
}
