/**
 * Streams one ingest day of transactions into a sink: the day's base transactions in index order, then the
 * duplicates and updates that fall due on this day from base days D-3..D (in base day, index order). Every
 * record is rebuilt from its coordinates, so nothing of earlier days is kept in memory or read from disk.
 */
import { type GeneratorSettings, RESEND_WINDOW_DAYS } from './generator-settings.ts';
import { type GroundTruth, GroundTruthCounter } from './ground-truth.ts';
import type { LineSink } from './line-sink.ts';
import {
  epochDayString,
  eventDayOf,
  type TransactionDraft,
  type TransactionFactory,
} from './transaction-factory.ts';
import { mayBeResent, type TransactionFate, transactionFate } from './transaction-fate.ts';

/** Called every few thousand records with how many base records of the day are done. */
export type ProgressListener = (baseRecordsDone: number) => void;

const PROGRESS_EVERY = 16_384;

export async function writeTransactionsDay(
  settings: GeneratorSettings,
  factory: TransactionFactory,
  day: number,
  sink: LineSink,
  sentDays: ReadonlySet<number>,
  onProgress?: ProgressListener,
): Promise<GroundTruth> {
  const truth = new GroundTruthCounter(day);
  const dateText = epochDayString(day);
  for (let index = 0; index < settings.rowsPerDay; index++) {
    const fate = transactionFate(settings, day, index);
    const draft = factory.draft(day, index, fate, dateText);
    let line: string;
    if (fate.defect) {
      truth.addBad(fate.defect);
      line = factory.formatBad(draft, fate.defect, day, index);
    } else {
      truth.addNew(eventDayOf(draft));
      line = factory.format(draft);
    }
    const pending = sink.writeAscii(line);
    if (pending) await pending;
    if (onProgress && index % PROGRESS_EVERY === PROGRESS_EVERY - 1) onProgress(index + 1);
  }

  for (let baseDay = day - RESEND_WINDOW_DAYS; baseDay <= day; baseDay++) {
    const after = day - baseDay;
    const baseDateText = epochDayString(baseDay);
    for (let index = 0; index < settings.rowsPerDay; index++) {
      if (!mayBeResent(settings, baseDay, index)) continue;
      const fate = transactionFate(settings, baseDay, index);
      if (fate.duplicateAfter !== after && fate.updateAfter !== after) continue;
      for (const text of resentToday(factory, fate, baseDay, index, baseDateText, day, sentDays, truth)) {
        const pending = sink.writeAscii(text);
        if (pending) await pending;
      }
    }
  }
  onProgress?.(settings.rowsPerDay);
  return truth.result();
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
  factory: TransactionFactory,
  fate: TransactionFate,
  baseDay: number,
  index: number,
  baseDateText: string,
  day: number,
  sentDays: ReadonlySet<number>,
  truth: GroundTruthCounter,
): string[] {
  const original = factory.draft(baseDay, index, fate, baseDateText);
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
    const text = factory.format(emission.draft);
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
