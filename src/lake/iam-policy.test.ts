import { describe, expect, it } from 'vitest';
import {
  bucketPolicy,
  IAM_ROLES,
  type IamRole,
  type LakePolicyTarget,
  type PolicyDocument,
  rolePolicy,
} from './iam-policy.ts';

const LAKE: LakePolicyTarget = { bucket: 'acme-lake', prefix: 'prod/fintech', sse: 'AES256' };
const KMS_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const object = (key: string) => `arn:aws:s3:::acme-lake/prod/fintech/${key}`;

const glob = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`).test(value);

/** IAM evaluation for unconditioned object statements: an explicit deny wins, else some allow must match. */
function allowed(policy: PolicyDocument, action: string, resource: string): boolean {
  const matching = policy.Statement.filter(
    (statement) =>
      !statement.Condition &&
      statement.Action.some((pattern) => glob(pattern, action)) &&
      statement.Resource.some((pattern) => glob(pattern, resource)),
  );
  return !matching.some((s) => s.Effect === 'Deny') && matching.some((s) => s.Effect === 'Allow');
}

function listablePrefixes(policy: PolicyDocument): string[] {
  return policy.Statement.filter((s) => s.Action.includes('s3:ListBucket')).flatMap(
    (s) => s.Condition!['StringLike']!['s3:prefix'] as string[],
  );
}

describe('rolePolicy', () => {
  it('lets the pipeline read and append bronze, never delete it, and rewrite silver, quarantine, gold, the ledger, quality results and holds', () => {
    const policy = rolePolicy('pipeline', LAKE);
    const bronze = object('bronze/transactions/ingest_date=2025-03-01/part-00000.jsonl');
    expect(allowed(policy, 's3:GetObject', bronze)).toBe(true);
    expect(allowed(policy, 's3:PutObject', bronze)).toBe(true);
    expect(allowed(policy, 's3:DeleteObject', bronze)).toBe(false);
    expect(policy.Statement.find((s) => s.Sid === 'NeverDeleteBronze')).toMatchObject({
      Effect: 'Deny',
      Resource: [object('bronze/*')],
    });
    for (const key of [
      'silver/transactions/event_date=2025-03-01/merchant_category=food/part-1.parquet',
      'silver/transactions/_delta_log/00000000000000000003.json',
      'quarantine/transactions/ingest_date=2025-03-01/data.parquet',
      'gold/marts/mart_sales_daily/part-0.parquet',
      '_ledger/transactions/ingest_date=2025-03-01/run-1.json',
      '_quality/results/ingest_date=2025-03-01/run-1@abcd1234.json',
      '_quality/holds/_delta_log/00000000000000000000.json',
      '_transactions/run-1-abcd.json',
      '_leases/lake.json',
    ]) {
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'])
        expect(allowed(policy, action, object(key)), `${action} ${key}`).toBe(true);
    }
    expect(allowed(policy, 's3:GetObject', 'arn:aws:s3:::acme-lake/other-team/secret.csv')).toBe(false);
    expect(allowed(policy, 's3:PutBucketPolicy', 'arn:aws:s3:::acme-lake')).toBe(false);
    expect(listablePrefixes(policy)).toEqual([
      'prod/fintech/bronze/*',
      'prod/fintech/silver/*',
      'prod/fintech/quarantine/*',
      'prod/fintech/gold/*',
      'prod/fintech/_ledger/*',
      'prod/fintech/_quality/*',
      'prod/fintech/_transactions/*',
      'prod/fintech/_leases/*',
    ]);
    expect(rolePolicy('worker', LAKE)).toEqual(policy);
  });

  it('lets the dashboard read gold only', () => {
    const policy = rolePolicy('dashboard', LAKE);
    expect(allowed(policy, 's3:GetObject', object('gold/marts/mart_rfm_customer/part-0.parquet'))).toBe(true);
    expect(allowed(policy, 's3:GetObject', object('silver/transactions/x.parquet'))).toBe(false);
    expect(allowed(policy, 's3:GetObject', object('bronze/transactions/x.jsonl'))).toBe(false);
    expect(allowed(policy, 's3:PutObject', object('gold/marts/x.parquet'))).toBe(false);
    expect(allowed(policy, 's3:DeleteObject', object('gold/marts/x.parquet'))).toBe(false);
    expect(listablePrefixes(policy)).toEqual(['prod/fintech/gold/*']);
  });

  it('lets Redshift read silver (COPY) and write gold (UNLOAD), nothing else', () => {
    const policy = rolePolicy('redshift', LAKE);
    expect(
      allowed(policy, 's3:GetObject', object('silver/transactions/event_date=2025-03-01/p.parquet')),
    ).toBe(true);
    expect(
      allowed(policy, 's3:PutObject', object('gold/marts/mart_sales_daily/unload-0000_part_00.parquet')),
    ).toBe(true);
    expect(allowed(policy, 's3:PutObject', object('silver/transactions/x.parquet'))).toBe(false);
    expect(allowed(policy, 's3:GetObject', object('bronze/transactions/x.jsonl'))).toBe(false);
    expect(allowed(policy, 's3:DeleteObject', object('gold/marts/x.parquet'))).toBe(false);
    expect(allowed(policy, 's3:GetBucketLocation', 'arn:aws:s3:::acme-lake')).toBe(true);
    expect(listablePrefixes(policy)).toEqual(['prod/fintech/silver/*', 'prod/fintech/gold/*']);
  });

  it('grants KMS use on the lake key only, and only when a customer key is configured', () => {
    const kms = { ...LAKE, sse: 'aws:kms' as const, kmsKeyId: KMS_ARN };
    expect(allowed(rolePolicy('pipeline', kms), 'kms:GenerateDataKey', KMS_ARN)).toBe(true);
    expect(allowed(rolePolicy('dashboard', kms), 'kms:Decrypt', KMS_ARN)).toBe(true);
    expect(allowed(rolePolicy('dashboard', kms), 'kms:GenerateDataKey', KMS_ARN)).toBe(false);
    expect(
      rolePolicy('pipeline', LAKE).Statement.some((s) => s.Action.some((a) => a.startsWith('kms:'))),
    ).toBe(false);
    expect(() => rolePolicy('pipeline', { ...kms, kmsKeyId: 'alias/lake' })).toThrow(
      /s3\.kms_key_id' has value "alias\/lake": iam policy needs the key's ARN/,
    );
  });

  it('never grants s3:* or Resource "*" to any role', () => {
    const targets = [LAKE, { ...LAKE, prefix: '' }, { ...LAKE, sse: 'aws:kms' as const, kmsKeyId: KMS_ARN }];
    for (const target of targets) {
      for (const role of IAM_ROLES as IamRole[]) {
        for (const statement of rolePolicy(role, target).Statement) {
          expect(statement.Action.filter((action) => action === '*' || action.endsWith(':*'))).toEqual([]);
          expect(statement.Resource).not.toContain('*');
          for (const resource of statement.Resource)
            expect(resource).toMatch(/^arn:aws:(s3:::acme-lake|kms:)/);
        }
      }
    }
    expect(rolePolicy('pipeline', { ...LAKE, prefix: '' }).Statement[1]!.Resource).toEqual([
      'arn:aws:s3:::acme-lake/bronze/*',
    ]);
  });
});

describe('bucketPolicy', () => {
  it('denies plain-HTTP access and puts without the configured encryption', () => {
    const policy = bucketPolicy({ ...LAKE, sse: 'aws:kms', kmsKeyId: KMS_ARN });
    const bySid = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    expect(bySid['DenyInsecureTransport']).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Resource: ['arn:aws:s3:::acme-lake', 'arn:aws:s3:::acme-lake/*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(bySid['DenyWrongEncryptionHeader']).toMatchObject({
      Effect: 'Deny',
      Action: ['s3:PutObject'],
      Resource: ['arn:aws:s3:::acme-lake/prod/fintech/*'],
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    });
    expect(bySid['DenyUnencryptedPuts']!.Condition).toEqual({
      Null: { 's3:x-amz-server-side-encryption': 'true' },
    });
    expect(bySid['DenyOtherKmsKey']!.Condition).toEqual({
      StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': KMS_ARN },
    });
    expect(policy.Statement.every((s) => s.Effect === 'Deny')).toBe(true);
  });
});
