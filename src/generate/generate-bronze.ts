/**
 * Generates synthetic bronze for a range of ingest dates: per date, the transactions partition (with its
 * ground truth) and the customers, cards and merchants snapshots, each written to a local work file and
 * committed through `commitBronzePartition` (identical content again is a no-op; different content is
 * refused).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { addDays, dateRange, dateToEpochDay, type IsoDate } from '../core/dates.ts';
import { UsageError } from '../core/errors.ts';
import { commitBronzePartition, createStagingDir, readBronzePartition } from '../lake/bronze-partition.ts';
import type { Lake } from '../lake/lake.ts';
import type { BronzeDataset, EntityDataset } from '../lake/lake-layout.ts';
import { EntityWorld } from './entity-world.ts';
import { type GeneratorSettings, RESEND_WINDOW_DAYS, settingsForManifest } from './generator-settings.ts';
import type { GroundTruth } from './ground-truth.ts';
import { LineSink } from './line-sink.ts';
import { TransactionWorkerPool } from './transaction-worker-pool.ts';
import { type ChunkBuilder, type ProgressListener, writeTransactionsDay } from './write-transactions-day.ts';

export type PartitionResult = 'written' | 'unchanged';

export interface GeneratedDate {
  date: IsoDate;
  /** `written`, or `unchanged` when every partition of the date already held exactly this content. */
  result: PartitionResult;
  transactions: GroundTruth;
  /** Rows of each entity snapshot. */
  entities: Record<EntityDataset, number>;
}

export interface GenerateBronzeOptions {
  lake: Lake;
  settings: GeneratorSettings;
  from: IsoDate;
  to: IsoDate;
  /** Reports progress over the whole range in base transactions. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Worker threads that build transactions besides this thread (0 = all on this thread). Default: one per
   * core but this thread's, for days of `WORKERS_FROM_ROWS` rows or more; below that a worker's start-up
   * (loading tsx) costs more than it saves.
   */
  workers?: number;
}

const WORKERS_FROM_ROWS = 200_000;

export async function generateBronze(options: GenerateBronzeOptions): Promise<GeneratedDate[]> {
  const { settings, from, to } = options;
  const dates = dateRange(from, to);
  if (from < settings.worldStart) {
    throw new UsageError(
      `--from ${from} is before config key 'generator.world_start' (${settings.worldStart}): no customers exist yet`,
    );
  }
  const workers =
    options.workers ?? (settings.rowsPerDay >= WORKERS_FROM_ROWS ? availableParallelism() - 1 : 0);
  // The workers load their code while this thread builds the world.
  const builder = new TransactionWorkerPool(settings, workers);
  try {
    const world = new EntityWorld(settings, to);
    builder.useWorld(world.transactionData());
    return await generateDates(options, dates, world, builder);
  } finally {
    await builder.close();
  }
}

async function generateDates(
  options: GenerateBronzeOptions,
  dates: IsoDate[],
  world: EntityWorld,
  builder: ChunkBuilder,
): Promise<GeneratedDate[]> {
  const { lake, settings } = options;
  const total = dates.length * settings.rowsPerDay;
  const results: GeneratedDate[] = [];
  for (const [position, date] of dates.entries()) {
    const done = position * settings.rowsPerDay;
    const progress: ProgressListener | undefined = options.onProgress
      ? (baseDone) => options.onProgress!(done + baseDone, total)
      : undefined;
    // One writer lease per date: its four partitions are committed under it.
    const { transactions, entities } = await lake.withWriterLease(async () => {
      const sentDays = await generatedDaysBefore(lake, settings, date);
      const transactions = await writePartition(lake, settings, 'transactions', date, async (sink) =>
        writeTransactionsDay(builder, settings.rowsPerDay, dateToEpochDay(date), sink, sentDays, progress),
      );
      const entities = {
        customers: await writeEntities(lake, settings, 'customers', date, world.customerSnapshot(date)),
        cards: await writeEntities(lake, settings, 'cards', date, world.cardSnapshot(date)),
        merchants: await writeEntities(lake, settings, 'merchants', date, world.merchantSnapshot(date)),
      };
      return { transactions, entities };
    });
    const allResults = [transactions.result, ...Object.values(entities).map((entity) => entity.result)];
    results.push({
      date,
      result: allResults.every((result) => result === 'unchanged') ? 'unchanged' : 'written',
      transactions: transactions.value,
      entities: {
        customers: entities.customers.rows,
        cards: entities.cards.rows,
        merchants: entities.merchants.rows,
      },
    });
  }
  return results;
}

/**
 * The ingest days before `date` whose re-sends may reach it and that this lake holds as generated with the
 * same settings: only what they sent counts as "sent so far" in `date`'s ground truth.
 */
async function generatedDaysBefore(
  lake: Lake,
  settings: GeneratorSettings,
  date: IsoDate,
): Promise<Set<number>> {
  const expected = JSON.stringify(settingsForManifest(settings));
  const days = new Set<number>();
  for (let back = 1; back <= RESEND_WINDOW_DAYS; back++) {
    const day = addDays(date, -back);
    const manifest = (await readBronzePartition(lake, 'transactions', day))?.manifest;
    if (manifest?.source.kind === 'generator' && JSON.stringify(manifest.source.config) === expected) {
      days.add(dateToEpochDay(day));
    }
  }
  return days;
}

async function writeEntities(
  lake: Lake,
  settings: GeneratorSettings,
  dataset: EntityDataset,
  date: IsoDate,
  lines: Iterable<string>,
): Promise<{ result: PartitionResult; rows: number }> {
  let rows = 0;
  const { result } = await writePartition(lake, settings, dataset, date, async (sink) => {
    for (const line of lines) {
      const pending = sink.write(line);
      if (pending) await pending;
    }
    rows = sink.rowCount;
    return undefined;
  });
  return { result, rows };
}

/**
 * Writes one file into a local staging folder and commits it as the partition (commitBronzePartition uploads it
 * and removes the folder).
 */
async function writePartition<T extends GroundTruth | undefined>(
  lake: Lake,
  settings: GeneratorSettings,
  dataset: BronzeDataset,
  date: IsoDate,
  fill: (sink: LineSink) => Promise<T>,
): Promise<{ result: PartitionResult; value: T }> {
  const staging = await createStagingDir(lake);
  let committed = false;
  try {
    const name = `part-00000.jsonl${settings.gzip ? '.gz' : ''}`;
    const sink = new LineSink(join(staging, name), name, settings.gzip);
    const value = await fill(sink);
    const file = await sink.close();
    committed = true;
    const commit = await commitBronzePartition(lake, dataset, date, staging, {
      dataset,
      ingest_date: date,
      rows: file.rows,
      files: [file],
      source: { kind: 'generator', seed: settings.seed, config: settingsForManifest(settings) },
      ...(value ? { ground_truth: value as unknown as Record<string, unknown> } : {}),
    });
    return { result: commit.kind, value };
  } finally {
    if (!committed) await lake.releaseScratch(staging);
  }
}
