/**
 * The manifest Redshift's `COPY … FROM 's3://…/x.manifest' MANIFEST FORMAT AS PARQUET` reads: exactly the
 * committed files of the touched partitions, never a folder prefix (which would also load uncommitted and
 * superseded objects). Parquet and ORC manifests need each file's `content_length`.
 */
import type { LiveFile } from './commit-log/table-snapshot.ts';

export interface CopyManifest {
  entries: { url: string; mandatory: true; meta: { content_length: number } }[];
}

/** `urlOf` turns a lake key into its `s3://bucket/key` URL (`S3ObjectStore.urlOf`). */
export function redshiftCopyManifest(
  files: readonly LiveFile[],
  urlOf: (key: string) => string,
): CopyManifest {
  return {
    entries: files.map((file) => ({
      url: urlOf(file.key),
      mandatory: true,
      meta: { content_length: file.size },
    })),
  };
}

export const COPY_MANIFESTS_PREFIX = 'silver/_copy_manifests/';

/**
 * Where a run's COPY manifest goes: under silver/, which the Redshift role may read (see iam-policy.ts); vacuum
 * deletes it after the retention period.
 */
export function copyManifestKey(runId: string, table: string): string {
  return `${COPY_MANIFESTS_PREFIX}${runId}/${table.replaceAll('/', '__')}.manifest`;
}
