/**
 * `fintech-etl iam policy [--role pipeline|worker|dashboard|redshift] [--bucket-policy]`: prints the least-privilege
 * IAM policy JSON of a role for the configured S3 lake, or the bucket policy (TLS only, encrypted puts only).
 */
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { bucketPolicy, IAM_ROLES, type IamRole, rolePolicy } from '../../lake/iam-policy.ts';
import type { CliContext } from '../cli-context.ts';
import { oneOf } from '../option-parsers.ts';

export function registerIamCommand(program: Command, context: CliContext): void {
  const iam = program.command('iam').description('IAM policies for an S3 lake');
  iam
    .command('policy')
    .description(
      'least-privilege IAM policy JSON for a role, or the bucket policy, for the configured S3 lake',
    )
    .option('--role <role>', IAM_ROLES.join(', '), oneOf(...IAM_ROLES), 'pipeline')
    .option('--bucket-policy', 'the bucket policy instead: deny non-TLS access and unencrypted puts')
    .action((flags: { role: IamRole; bucketPolicy?: boolean }) => {
      const config = context.config();
      const location = config.lakeLocation;
      if (location.kind !== 's3') {
        throw new ConfigError(
          `config key 'lake': iam policy is for an S3 lake (lake: s3://bucket/prefix); this lake is the folder ${location.root}`,
        );
      }
      const target = {
        bucket: location.bucket,
        prefix: location.prefix,
        sse: config.s3.sse,
        ...(config.s3.kms_key_id ? { kmsKeyId: config.s3.kms_key_id } : {}),
      };
      const policy = flags.bucketPolicy ? bucketPolicy(target) : rolePolicy(flags.role, target);
      process.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
    });
}
