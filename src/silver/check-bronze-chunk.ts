/**
 * A silver check job (the split of silver for queue workers, issue 26): its share of the bronze of ingest date D
 * (check-share.ts: its own whole files when the day has at least `of` files, else record k of every file when
 * (k - 1) mod `of` = index) read, parsed, checked against the record contract, tokenized and hashed
 * (read-bronze-batch.ts), then the valid rows and the rejected ones staged in the lake as two Parquet objects under `silver/_checks/`, named after the run and a random tag
 * (never reused). Nothing is committed: the day's silver commit (`runSilver` with `checked`) reads the objects
 * its check jobs recorded, and vacuum deletes staged objects after the retention period. A retried or repeated
 * job stages new objects; only the recorded ones are ever read.
 *
 * @example
 *   const checked = await checkBronzeChunk({ config, lake, ingestDate, runId, chunk: { index: 0, of: 3 } });
 *   await runSilver({ config, lake, ingestDate, runId, checked: [checked, …] });
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/load-config.ts';
import type { IsoDate } from '../core/dates.ts';
import { PipelineError } from '../core/errors.ts';
import { abortedOr } from '../core/interrupt-on-abort.ts';
import { type EventSink, NO_EVENTS } from '../core/pipeline-event.ts';
import type { Lake } from '../lake/lake.ts';
import { partitionFolder, SILVER_CHECKS_PREFIX } from '../lake/lake-layout.ts';
import { describeBronzeFiles, fetchBronzeFiles } from './bronze-files.ts';
import { type CheckSplit, checkShare } from './check-share.ts';
import { hmacKeyPads } from './hmac-key-pads.ts';
import { safeRunId } from './ledger-entry.ts';
import { type BronzeChunk, readBronzeBatch } from './read-bronze-batch.ts';
import { setupSilverSession } from './setup-silver-session.ts';
import { openSilverDatabase } from './silver-database.ts';
import { SilverSession } from './silver-session.ts';
import { resolveTokenizationKey } from './tokenization-key.ts';

export type { BronzeChunk } from './read-bronze-batch.ts';

export interface CheckBronzeChunkOptions {
  config: ResolvedConfig;
  lake: Lake;
  ingestDate: IsoDate;
  runId: string;
  chunk: BronzeChunk;
  events?: EventSink;
  /** Overrides the tokenization key (tests); otherwise resolved from config `tokenization.key`. */
  tokenizationKey?: Buffer;
  /** Aborted at the task's timeout or stop: as runSilver's `signal`. */
  signal?: AbortSignal;
}

/** What a check job staged, as its task records it (JSON): what the commit reads back. */
export interface CheckedChunk {
  chunk: BronzeChunk;
  /** Whether the job took whole files or interleaved records of every file (check-share.ts). */
  split: CheckSplit;
  /** The lake keys of the staged valid rows and rejected rows. */
  batchKey: string;
  quarantineKey: string;
  /**
   * Records parsed per bronze file the job read (its lake key): the commit checks these are the job's share and
   * that each file's records, summed over the jobs that read it, reach its manifest count.
   */
  parsed: Record<string, number>;
  validRows: number;
  quarantinedRows: number;
}

export async function checkBronzeChunk(options: CheckBronzeChunkOptions): Promise<CheckedChunk> {
  try {
    return await checkChunk(options);
  } catch (error) {
    throw abortedOr(options.signal, error);
  }
}

async function checkChunk(options: CheckBronzeChunkOptions): Promise<CheckedChunk> {
  const { config, lake, ingestDate, runId, chunk } = options;
  const events = options.events ?? NO_EVENTS;
  if (!(Number.isInteger(chunk.of) && chunk.of >= 1 && chunk.index >= 0 && chunk.index < chunk.of)) {
    throw new PipelineError(`silver check chunk ${chunk.index} of ${chunk.of} does not exist`);
  }
  const bronze = await describeBronzeFiles(lake, 'transactions', ingestDate);
  if (!bronze) {
    throw new PipelineError(
      `no bronze transactions partition for ingest_date=${ingestDate} (nothing to process)`,
    );
  }
  const share = checkShare(bronze.files, chunk);
  const pads = hmacKeyPads(options.tokenizationKey ?? (await resolveTokenizationKey(config, events)));
  const workDir = await lake.scratch(`silver-check-${ingestDate}`);
  const database = await openSilverDatabase(config, join(workDir, 'spill'), options.signal);
  try {
    const session = new SilverSession(database.connection, events, options.signal);
    // Every file's name by its position in the partition, as the commit's session has them; only the share's
    // files are downloaded and read.
    await setupSilverSession(session, config, bronze.files, pads);
    const files = await session.timed('fetch bronze', () =>
      fetchBronzeFiles(lake, share.files, options.signal),
    );
    const parsed = await readBronzeBatch(session, files, {
      config,
      ingestDate,
      runId,
      ...(share.split === 'records' ? { chunk } : {}),
    });
    const stage = { batch: join(workDir, 'batch.parquet'), quarantine: join(workDir, 'quarantine.parquet') };
    await session.run('stage-check', { batch_stage: stage.batch, quarantine_stage: stage.quarantine });
    const [counts] = await session.rows<{ valid: bigint; quarantined: bigint }>(
      'SELECT (SELECT count(*) FROM batch_rows) AS valid, (SELECT count(*) FROM quarantine_rows) AS quarantined',
    );
    const name = `${safeRunId(runId)}-${randomUUID().slice(0, 8)}-${chunk.index + 1}-of-${chunk.of}`;
    const folder = `${SILVER_CHECKS_PREFIX}${partitionFolder({ ingest_date: ingestDate })}`;
    const batchKey = `${folder}/${name}-batch.parquet`;
    const quarantineKey = `${folder}/${name}-quarantine.parquet`;
    // Staged objects are referred to by nothing until the commit reads them: an upload may stop anywhere.
    const upload = options.signal ? { signal: options.signal } : {};
    await session.timed('stage upload', () =>
      Promise.all([
        lake.store.putFile(batchKey, stage.batch, upload),
        lake.store.putFile(quarantineKey, stage.quarantine, upload),
      ]),
    );
    return {
      chunk,
      split: share.split,
      batchKey,
      quarantineKey,
      parsed: Object.fromEntries(parsed),
      validRows: Number(counts!.valid),
      quarantinedRows: Number(counts!.quarantined),
    };
  } finally {
    database.close();
    await lake.releaseScratch(workDir);
  }
}
