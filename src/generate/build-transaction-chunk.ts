/**
 * Builds one chunk of a transactions partition into bytes, with the ground truth of its records. Synchronous
 * and free of shared state, so the same code runs in a worker thread or, for small days, on the main thread.
 */
import type { GeneratorSettings } from './generator-settings.ts';
import { type GroundTruth, GroundTruthCounter } from './ground-truth.ts';
import { LineBytes } from './line-bytes.ts';
import { BASE_CHUNK_ROWS, type TransactionChunk } from './transaction-chunk.ts';
import { eventDayOf, type TransactionDraft } from './transaction-draft.ts';
import { TransactionFactory } from './transaction-factory.ts';
import { mayBeResent, type TransactionFate, transactionFate } from './transaction-fate.ts';
import { TransactionLineWriter } from './transaction-line-writer.ts';
import type { TransactionWorld } from './transaction-world.ts';
import { ZoneClock } from './zone-clock.ts';

export interface BuiltChunk {
  /** The chunk's JSON lines, each ending in a newline. */
  bytes: Uint8Array;
  rows: number;
  /** Base records of the day finished with this chunk (for progress); 0 for a re-send chunk. */
  baseRecords: number;
  truth: GroundTruth;
}

/**
 * Bytes of a fresh chunk buffer: a base chunk's lines (~450 bytes each) fit with room to spare; a buffer that
 * still runs short grows, and the larger one is reused from then on.
 */
export const CHUNK_BUFFER_BYTES = BASE_CHUNK_ROWS * 640;

/** What a chunk's records are made with: the rules that decide each one, and the writer of its line. */
export interface RecordMakers {
  factory: TransactionFactory;
  writer: TransactionLineWriter;
}

export function createRecordMakers(settings: GeneratorSettings, world: TransactionWorld): RecordMakers {
  return {
    factory: new TransactionFactory(settings, world),
    writer: new TransactionLineWriter(settings, world, new ZoneClock(settings.timezone)),
  };
}

export function buildTransactionChunk(
  settings: GeneratorSettings,
  makers: RecordMakers,
  chunk: TransactionChunk,
  sentDays: ReadonlySet<number>,
  buffer: Buffer,
): BuiltChunk {
  const out = new LineBytes(buffer);
  const truth = new GroundTruthCounter(chunk.day);
  // Two loops in two functions: each keeps its own type feedback, so the optimised base loop is not thrown
  // away each time a re-send chunk comes by.
  if (chunk.kind === 'base') writeBaseRecords(settings, makers, chunk.day, chunk.from, chunk.to, out, truth);
  else
    writeResentRecords(
      settings,
      makers,
      chunk.day,
      chunk.baseDay,
      chunk.from,
      chunk.to,
      sentDays,
      out,
      truth,
    );
  return {
    bytes: out.written(),
    rows: out.rows,
    baseRecords: chunk.kind === 'base' ? chunk.to : 0,
    truth: truth.result(),
  };
}

function writeBaseRecords(
  settings: GeneratorSettings,
  makers: RecordMakers,
  day: number,
  from: number,
  to: number,
  out: LineBytes,
  truth: GroundTruthCounter,
): void {
  const { factory, writer } = makers;
  for (let index = from; index < to; index++) {
    const fate = transactionFate(settings, day, index);
    const draft = factory.draft(day, index, fate);
    if (fate.defect) {
      truth.addBad(fate.defect);
      out.appendLine(writer.formatBad(draft, fate.defect, day, index));
    } else {
      truth.addNew(eventDayOf(draft));
      writer.write(draft, out);
    }
  }
}

function writeResentRecords(
  settings: GeneratorSettings,
  makers: RecordMakers,
  day: number,
  baseDay: number,
  from: number,
  to: number,
  sentDays: ReadonlySet<number>,
  out: LineBytes,
  truth: GroundTruthCounter,
): void {
  const after = day - baseDay;
  for (let index = from; index < to; index++) {
    if (!mayBeResent(settings, baseDay, index)) continue;
    const fate = transactionFate(settings, baseDay, index);
    if (fate.duplicateAfter !== after && fate.updateAfter !== after) continue;
    for (const text of resentToday(makers, fate, baseDay, index, day, sentDays, truth)) {
      out.appendLine(text);
    }
  }
}

interface Emission {
  day: number;
  /** Position among the id's sendings of one day: the original first, then duplicate/update in fate order. */
  rank: number;
  draft: TransactionDraft;
}

/**
 * The re-sent lines of one id due on `day`, counted into `truth` against what this lake has received: the
 * full feed decides the bytes (a duplicate copies the latest version of the feed), the days in `sentDays`
 * decide the counts. When an earlier day of the feed was never generated, its sendings are not "sent so far",
 * so a re-send of an id the lake never saw counts as new, which keeps the ground truth exact for the first
 * days of a lake and for a date generated alone.
 */
function resentToday(
  makers: RecordMakers,
  fate: TransactionFate,
  baseDay: number,
  index: number,
  day: number,
  sentDays: ReadonlySet<number>,
  truth: GroundTruthCounter,
): string[] {
  const { factory, writer } = makers;
  const original = factory.draft(baseDay, index, fate);
  const emissions: Emission[] = [{ day: baseDay, rank: 0, draft: original }];
  const updated =
    fate.updateAfter >= 0 ? factory.updated(original, baseDay, index, baseDay + fate.updateAfter) : undefined;
  if (updated)
    emissions.push({ day: baseDay + fate.updateAfter, rank: fate.duplicateFirst ? 2 : 1, draft: updated });
  if (fate.duplicateAfter >= 0) {
    // A duplicate copies whatever version of the feed was latest when it is sent.
    const updateBefore =
      updated !== undefined &&
      (fate.updateAfter < fate.duplicateAfter ||
        (fate.updateAfter === fate.duplicateAfter && !fate.duplicateFirst));
    emissions.push({
      day: baseDay + fate.duplicateAfter,
      rank: fate.duplicateFirst ? 1 : 2,
      draft: updateBefore ? updated! : original,
    });
  }
  emissions.sort((a, b) => a.day - b.day || a.rank - b.rank);

  const lines: string[] = [];
  let latestSent: string | undefined;
  for (const emission of emissions) {
    if (emission.day > day) break;
    const text = writer.format(emission.draft);
    if (emission.day < day) {
      if (sentDays.has(emission.day)) latestSent = text;
      continue;
    }
    if (emission.rank === 0) {
      latestSent = text; // the original of a same-day re-send sits in this file's base section
      continue;
    }
    if (latestSent === undefined) truth.addNew(eventDayOf(emission.draft));
    else if (text === latestSent) truth.addDuplicate();
    else truth.addUpdate(eventDayOf(emission.draft));
    lines.push(text);
    latestSent = text;
  }
  return lines;
}
