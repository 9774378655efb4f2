/**
 * Least-privilege IAM policies for an S3 lake (`fintech-etl iam policy`): what each role may do to which zone,
 * derived from the lake's bucket and prefix, plus a bucket policy that refuses unencrypted puts and plain-HTTP
 * access. No statement grants `s3:*` or names `Resource: "*"`.
 */
import { UsageError } from '../core/errors.ts';

export type IamRole = 'pipeline' | 'worker' | 'dashboard' | 'redshift';
export const IAM_ROLES: readonly IamRole[] = ['pipeline', 'worker', 'dashboard', 'redshift'];

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface LakePolicyTarget {
  bucket: string;
  /** Key prefix of the lake in the bucket ('' for the bucket root). */
  prefix: string;
  sse: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
}

/** Zones of the lake (DESIGN.md §4) and the commit machinery, as key prefixes relative to the lake root. */
const ZONE = {
  bronze: 'bronze/',
  silver: 'silver/',
  quarantine: 'quarantine/',
  gold: 'gold/',
  ledger: '_ledger/',
  quality: '_quality/',
  transactions: '_transactions/',
  leases: '_leases/',
} as const;
type Zone = keyof typeof ZONE;

const READ = ['s3:GetObject'];
const WRITE = ['s3:PutObject', 's3:AbortMultipartUpload'];
const DELETE = ['s3:DeleteObject'];

export function rolePolicy(role: IamRole, target: LakePolicyTarget): PolicyDocument {
  const arn = (zone: Zone) => `arn:aws:s3:::${target.bucket}/${keyPrefix(target)}${ZONE[zone]}*`;
  const list = (sid: string, zones: Zone[]): PolicyStatement => ({
    Sid: sid,
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [`arn:aws:s3:::${target.bucket}`],
    Condition: { StringLike: { 's3:prefix': zones.map((zone) => `${keyPrefix(target)}${ZONE[zone]}*`) } },
  });
  const allow = (sid: string, actions: string[], zones: Zone[]): PolicyStatement => ({
    Sid: sid,
    Effect: 'Allow',
    Action: actions,
    Resource: zones.map(arn),
  });
  const statements: PolicyStatement[] = [];
  switch (role) {
    case 'pipeline':
    case 'worker': {
      const rewritten: Zone[] = [
        'silver',
        'quarantine',
        'gold',
        'ledger',
        'quality',
        'transactions',
        'leases',
      ];
      statements.push(
        list('ListLake', ['bronze', ...rewritten]),
        // Ingest appends new bronze partitions; nothing may delete one.
        allow('ReadAndAppendBronze', [...READ, ...WRITE], ['bronze']),
        allow('WriteDerivedZones', [...READ, ...WRITE, ...DELETE], rewritten),
        {
          Sid: 'NeverDeleteBronze',
          Effect: 'Deny',
          Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          Resource: [arn('bronze')],
        },
      );
      statements.push(...kmsStatements(target, ['kms:Decrypt', 'kms:GenerateDataKey']));
      break;
    }
    case 'dashboard':
      statements.push(list('ListGold', ['gold']), allow('ReadGold', READ, ['gold']));
      statements.push(...kmsStatements(target, ['kms:Decrypt']));
      break;
    case 'redshift':
      statements.push(
        list('ListSilverAndGold', ['silver', 'gold']),
        {
          Sid: 'BucketRegion',
          Effect: 'Allow',
          Action: ['s3:GetBucketLocation'],
          Resource: [`arn:aws:s3:::${target.bucket}`],
        },
        // COPY reads committed silver files and the COPY manifests kept under silver/.
        allow('CopyFromSilver', READ, ['silver']),
        // UNLOAD writes gold files under new names; the pipeline commits them.
        allow('UnloadToGold', WRITE, ['gold']),
      );
      statements.push(...kmsStatements(target, ['kms:Decrypt', 'kms:GenerateDataKey']));
      break;
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Denies any request over plain HTTP, and any put without the lake's server-side encryption. */
export function bucketPolicy(target: LakePolicyTarget): PolicyDocument {
  const bucketArn = `arn:aws:s3:::${target.bucket}`;
  const objects = `${bucketArn}/${keyPrefix(target)}*`;
  const statements: PolicyStatement[] = [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:*'],
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'DenyWrongEncryptionHeader',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:PutObject'],
      Resource: [objects],
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': target.sse } },
    },
    {
      Sid: 'DenyUnencryptedPuts',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:PutObject'],
      Resource: [objects],
      Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
    },
  ];
  if (target.sse === 'aws:kms' && target.kmsKeyId) {
    statements.push({
      Sid: 'DenyOtherKmsKey',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:PutObject'],
      Resource: [objects],
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': kmsKeyArn(target) } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

function keyPrefix(target: LakePolicyTarget): string {
  return target.prefix ? `${target.prefix}/` : '';
}

/** With a customer key the role needs KMS rights on that key; S3's own key (aws/s3) needs none. */
function kmsStatements(target: LakePolicyTarget, actions: string[]): PolicyStatement[] {
  if (target.sse !== 'aws:kms' || !target.kmsKeyId) return [];
  return [{ Sid: 'UseLakeKmsKey', Effect: 'Allow', Action: actions, Resource: [kmsKeyArn(target)] }];
}

function kmsKeyArn(target: LakePolicyTarget): string {
  const key = target.kmsKeyId!;
  if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(key)) {
    throw new UsageError(
      `config key 's3.kms_key_id' has value "${key}": iam policy needs the key's ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) to name it in a policy`,
    );
  }
  return key;
}
