/**
 * Streams one ingest day of transactions into a sink: the day's base transactions in index order, then the
 * duplicates and updates that fall due on this day from base days D-3..D (in base day, index order). Every
 * record is rebuilt from its coordinates, so nothing of earlier days is kept in memory or read from disk.
 */

import type { GeneratorSettings } from './generator-settings.ts';
import { RESEND_WINDOW_DAYS } from './generator-settings.ts';
import { type GroundTruth, GroundTruthCounter } from './ground-truth.ts';
import type { LineSink } from './line-sink.ts';
import { epochDayString, eventDayOf, type TransactionFactory } from './transaction-factory.ts';
import { mayBeResent, transactionFate } from './transaction-fate.ts';

/** Called every few thousand records with how many base records of the day are done. */
export type ProgressListener = (baseRecordsDone: number) => void;

const PROGRESS_EVERY = 16_384;

export async function writeTransactionsDay(
  settings: GeneratorSettings,
  factory: TransactionFactory,
  day: number,
  sink: LineSink,
  onProgress?: ProgressListener,
): Promise<GroundTruth> {
  const truth = new GroundTruthCounter(day);
  const dateText = epochDayString(day);
  for (let index = 0; index < settings.rowsPerDay; index++) {
    const fate = transactionFate(settings, day, index);
    const draft = factory.draft(day, index, fate, dateText);
    if (fate.defect) {
      truth.addBad(fate.defect);
      {
        const pending = sink.writeAscii(factory.formatBad(draft, fate.defect, day, index));
        if (pending) await pending;
      }
    } else {
      truth.addNew(eventDayOf(draft));
      {
        const pending = sink.writeAscii(factory.format(draft));
        if (pending) await pending;
      }
    }
    if (onProgress && index % PROGRESS_EVERY === PROGRESS_EVERY - 1) onProgress(index + 1);
  }

  for (let baseDay = day - RESEND_WINDOW_DAYS; baseDay <= day; baseDay++) {
    const after = day - baseDay;
    const baseDateText = epochDayString(baseDay);
    for (let index = 0; index < settings.rowsPerDay; index++) {
      if (!mayBeResent(settings, baseDay, index)) continue;
      const fate = transactionFate(settings, baseDay, index);
      const duplicateToday = fate.duplicateAfter === after;
      const updateToday = fate.updateAfter === after;
      if (!duplicateToday && !updateToday) continue;
      const original = factory.draft(baseDay, index, fate, baseDateText);
      const updated =
        fate.updateAfter >= 0
          ? factory.updated(original, baseDay, index, baseDay + fate.updateAfter)
          : undefined;
      // A duplicate copies whatever version was latest when it is sent.
      const updateSentBefore =
        updated !== undefined &&
        (fate.updateAfter < fate.duplicateAfter || (updateToday && !fate.duplicateFirst));
      const duplicate = updateSentBefore ? updated : original;
      if (duplicateToday && updateToday && fate.duplicateFirst) {
        truth.addDuplicate();
        {
          const pending = sink.writeAscii(factory.format(duplicate!));
          if (pending) await pending;
        }
      }
      if (updateToday) {
        truth.addUpdate(eventDayOf(updated!));
        {
          const pending = sink.writeAscii(factory.format(updated!));
          if (pending) await pending;
        }
      }
      if (duplicateToday && !(updateToday && fate.duplicateFirst)) {
        truth.addDuplicate();
        {
          const pending = sink.writeAscii(factory.format(duplicate!));
          if (pending) await pending;
        }
      }
    }
  }
  onProgress?.(settings.rowsPerDay);
  return truth.result();
}
