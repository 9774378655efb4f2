import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';

function folderWith(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-cli-'));
  writeFileSync(join(dir, 'fintech-etl.yaml'), config);
  return dir;
}

describe('fintech-etl iam policy', () => {
  it('prints the policy of a role for the configured bucket and prefix, and the bucket policy', async () => {
    const dir = folderWith('lake: s3://acme-lake/prod\ns3:\n  region: eu-west-1\n');
    const [dashboard, pipeline, bucket] = await Promise.all([
      runCli(['iam', 'policy', '--role', 'dashboard'], dir),
      runCli(['iam', 'policy'], dir),
      runCli(['iam', 'policy', '--bucket-policy'], dir),
    ]);
    expect(dashboard.status).toBe(0);
    const policy = JSON.parse(dashboard.stdout);
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['ListGold', 'ReadGold']);
    expect(policy.Statement[1].Resource).toEqual(['arn:aws:s3:::acme-lake/prod/gold/*']);
    expect(JSON.parse(pipeline.stdout).Statement.map((s: { Sid: string }) => s.Sid)).toContain(
      'NeverDeleteBronze',
    );
    expect(JSON.parse(bucket.stdout).Statement[0].Sid).toBe('DenyInsecureTransport');
  });

  it('refuses a local lake and an unknown role with exit 2', async () => {
    const [local, role] = await Promise.all([
      runCli(['iam', 'policy'], folderWith('lake: lake\n')),
      runCli(['iam', 'policy', '--role', 'admin'], folderWith('lake: s3://acme-lake\n')),
    ]);
    expect(local.status).toBe(2);
    expect(local.stderr).toMatch(/iam policy is for an S3 lake \(lake: s3:\/\/bucket\/prefix\)/);
    expect(role.status).toBe(2);
    expect(role.stderr).toMatch(/must be one of pipeline, worker, dashboard, redshift/);
  });
});
