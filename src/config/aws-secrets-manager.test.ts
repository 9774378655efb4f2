import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { redact } from '../core/redact.ts';
import { awsSecretsManagerFetcher } from './aws-secrets-manager.ts';
import { clearAwsSecretCache, resolveSecret } from './secrets.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A loopback endpoint speaking the Secrets Manager JSON protocol (awsJson1_1) for two secrets. */
let server: Server;
let endpoint: string;
const received: Received[] = [];
const SECRETS: Record<string, string> = {
  'prod/warehouse': JSON.stringify({ username: 'etl', password: 'pg-Secret-Value-42' }),
  'prod/tokenization': 'tok-Key-Plain-Text-77',
};

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = JSON.parse(text) as { SecretId: string };
      received.push({ headers: request.headers, body });
      const value = SECRETS[body.SecretId];
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        response.statusCode = 400;
        response.end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
        return;
      }
      response.end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${body.SecretId}-AbCdEf`,
          Name: body.SecretId,
          SecretString: value,
          VersionId: 'v1',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 1735689600,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  clearAwsSecretCache();
});

const context = () => ({
  home: '/nonexistent',
  env: {},
  fetchAwsSecret: awsSecretsManagerFetcher({
    endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
  }),
});

describe('AWS Secrets Manager references', () => {
  it('sends GetSecretValue with the SecretId, signed for the region, and picks a field of a JSON secret', async () => {
    const value = await resolveSecret(
      { aws_secret: 'prod/warehouse', region: 'eu-west-1', key: 'password' },
      context(),
    );
    expect(value).toBe('pg-Secret-Value-42');
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(request!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request!.body).toEqual({ SecretId: 'prod/warehouse' });
    expect(request!.headers['authorization']).toMatch(
      /Credential=AKIDTEST\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/,
    );
  });

  it('fetches each secret once per process, and redacts every value of it from then on', async () => {
    const ctx = context();
    await resolveSecret({ aws_secret: 'prod/warehouse', region: 'eu-west-1', key: 'username' }, ctx);
    await resolveSecret({ aws_secret: 'prod/warehouse', region: 'eu-west-1', key: 'password' }, ctx);
    expect(received).toHaveLength(1);
    // The password was never used, yet it is already hidden from logs.
    expect(redact('connect failed with pg-Secret-Value-42')).toBe('connect failed with ***');
    const plain = await resolveSecret({ aws_secret: 'prod/tokenization', region: 'eu-west-1' }, ctx);
    expect(plain).toBe('tok-Key-Plain-Text-77');
    expect(redact('key=tok-Key-Plain-Text-77')).toBe('key=***');
    expect(received).toHaveLength(2);
  });

  it('names the secret and the missing field, never its content', async () => {
    const error = await resolveSecret(
      { aws_secret: 'prod/warehouse', region: 'eu-west-1', key: 'pass' },
      context(),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      "secret 'prod/warehouse' has no text field 'pass' (fields: username, password)",
    );
    await expect(
      resolveSecret({ aws_secret: 'prod/tokenization', region: 'eu-west-1', key: 'x' }, context()),
    ).rejects.toThrow("secret 'prod/tokenization' is not a JSON object, so it has no field 'x'");
  });

  it('reports a secret Secrets Manager does not have as a config error, and asks again next time', async () => {
    const ref = { aws_secret: 'prod/missing', region: 'eu-west-1' };
    await expect(resolveSecret(ref, context())).rejects.toThrow(
      /secret 'prod\/missing' cannot be read from AWS Secrets Manager \(eu-west-1\): ResourceNotFoundException/,
    );
    await expect(resolveSecret(ref, context())).rejects.toThrow(ConfigError);
    expect(received).toHaveLength(2);
  });
  it('uses the SDK with its default chain when no fetcher is injected (tokenization key, warehouse password)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDFROMCHAIN',
      AWS_SECRET_ACCESS_KEY: 'chain-secret',
    });
    try {
      const value = await resolveSecret(
        { aws_secret: 'prod/tokenization', region: 'ap-northeast-2' },
        { home: '/x', env: {} },
      );
      expect(value).toBe('tok-Key-Plain-Text-77');
      expect(received[0]!.headers['authorization']).toMatch(
        /Credential=AKIDFROMCHAIN\/\d{8}\/ap-northeast-2\/secretsmanager/,
      );
    } finally {
      process.env = saved;
    }
  });
});
