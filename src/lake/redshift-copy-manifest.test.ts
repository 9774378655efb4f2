import { describe, expect, it } from 'vitest';
import { rolePolicy } from './iam-policy.ts';
import { copyManifestKey, redshiftCopyManifest } from './redshift-copy-manifest.ts';

describe('redshiftCopyManifest', () => {
  it('lists exactly the given committed files with their sizes, as Redshift requires for Parquet', () => {
    const manifest = redshiftCopyManifest(
      [
        {
          key: 'silver/transactions/event_date=2025-03-01/merchant_category=food/part-1.parquet',
          partitionValues: {},
          size: 1234,
          modificationTime: 0,
        },
      ],
      (key) => `s3://acme-lake/prod/${key}`,
    );
    expect(manifest).toEqual({
      entries: [
        {
          url: 's3://acme-lake/prod/silver/transactions/event_date=2025-03-01/merchant_category=food/part-1.parquet',
          mandatory: true,
          meta: { content_length: 1234 },
        },
      ],
    });
  });

  it('keeps manifests where the Redshift role may read them', () => {
    const key = copyManifestKey('run-20250301-ab12', 'silver/transactions');
    expect(key).toBe('silver/_copy_manifests/run-20250301-ab12/silver__transactions.manifest');
    const readable = rolePolicy('redshift', { bucket: 'b', prefix: 'p', sse: 'AES256' })
      .Statement.filter((statement) => statement.Action.includes('s3:GetObject'))
      .flatMap((statement) => statement.Resource);
    expect(readable).toEqual(['arn:aws:s3:::b/p/silver/*']);
  });
});
