/**
 * The exact count of each record kind in a generated transactions partition, written to its manifest so
 * silver can reconcile what it found against what was injected (records = new + duplicates + updates + bad).
 */
import type { InjectedDefect } from './transaction-fate.ts';

export interface GroundTruth {
  /** Lines in the partition. */
  records: number;
  /** First clean version of a transaction id. */
  new: number;
  /** Exact re-sends of the latest version of an id sent so far (earlier day, or earlier in the same file). */
  duplicates: number;
  /** Changed versions of an id already sent. */
  updates: number;
  /** Records with exactly one injected defect. */
  bad: number;
  bad_by_reason: Partial<Record<InjectedDefect, number>>;
  /** new + updates whose event date (in the business zone) is before the ingest date. */
  late: number;
  /** `late` by days between event date and ingest date, keys as decimal strings. */
  late_by_days: Record<string, number>;
}

/** Accumulates a GroundTruth while a partition is written; `result()` sorts the keys so manifests compare. */
export class GroundTruthCounter {
  private readonly truth: GroundTruth = {
    records: 0,
    new: 0,
    duplicates: 0,
    updates: 0,
    bad: 0,
    bad_by_reason: {},
    late: 0,
    late_by_days: {},
  };

  constructor(private readonly ingestDay: number) {}

  addNew(eventDay: number): void {
    this.truth.new++;
    this.countLate(eventDay);
  }

  addUpdate(eventDay: number): void {
    this.truth.updates++;
    this.countLate(eventDay);
  }

  addDuplicate(): void {
    this.truth.duplicates++;
  }

  addBad(defect: InjectedDefect): void {
    this.truth.bad++;
    this.truth.bad_by_reason[defect] = (this.truth.bad_by_reason[defect] ?? 0) + 1;
  }

  /** Adds the counts of a part of the same partition (a chunk built elsewhere). */
  addTruth(part: GroundTruth): void {
    const t = this.truth;
    t.new += part.new;
    t.duplicates += part.duplicates;
    t.updates += part.updates;
    t.bad += part.bad;
    t.late += part.late;
    for (const [reason, count] of Object.entries(part.bad_by_reason) as [InjectedDefect, number][]) {
      t.bad_by_reason[reason] = (t.bad_by_reason[reason] ?? 0) + count;
    }
    for (const [days, count] of Object.entries(part.late_by_days)) {
      t.late_by_days[days] = (t.late_by_days[days] ?? 0) + count;
    }
  }

  private countLate(eventDay: number): void {
    const days = this.ingestDay - eventDay;
    if (days <= 0) return;
    this.truth.late++;
    this.truth.late_by_days[String(days)] = (this.truth.late_by_days[String(days)] ?? 0) + 1;
  }

  result(): GroundTruth {
    const t = this.truth;
    const byReason = Object.fromEntries(
      Object.entries(t.bad_by_reason).sort(([a], [b]) => a.localeCompare(b)),
    );
    const byDays = Object.fromEntries(
      Object.entries(t.late_by_days).sort(([a], [b]) => Number(a) - Number(b)),
    );
    return {
      ...t,
      records: t.new + t.duplicates + t.updates + t.bad,
      bad_by_reason: byReason,
      late_by_days: byDays,
    };
  }
}
