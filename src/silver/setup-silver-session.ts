/**
 * The session every silver statement runs in (sql/setup-session.sql): the helper macros, the batch tables, the
 * seeds, the bronze files' names by position, the tokenization key's HMAC pads. The same for a whole silver run
 * and for a check job (check-bronze-chunk.ts), so both read records alike.
 */
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/load-config.ts';
import type { BronzeFile } from './bronze-line-reader.ts';
import type { HmacKeyPads } from './hmac-key-pads.ts';
import { batchRowColumns } from './record-fields.ts';
import type { SilverSession } from './silver-session.ts';

export async function setupSilverSession(
  session: SilverSession,
  config: Pick<ResolvedConfig, 'projectDir'>,
  files: readonly Pick<BronzeFile, 'sourceFile'>[],
  pads: HmacKeyPads,
): Promise<void> {
  await session.run('setup-session', {
    mcc_seed: join(config.projectDir, 'seeds', 'mcc_codes.csv'),
    fx_seed: join(config.projectDir, 'seeds', 'fx_rates.csv'),
    source_files: files.map((file) => file.sourceFile),
    batch_columns: { kind: 'sql', text: batchRowColumns() },
    hmac_inner: { kind: 'blob', bytes: pads.inner },
    hmac_outer: { kind: 'blob', bytes: pads.outer },
  });
}
