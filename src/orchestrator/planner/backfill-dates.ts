/**
 * Which dates `backfill --reprocess none|failed|all` runs, from the plan of the range, in date order:
 * - `none`: dates that never ran (`missing` with bronze) and runs left unfinished (`killed`): nothing that
 *   already ran is redone.
 * - `failed`: every date the plan says is not up to date — also `failed`, `new bronze`, `models changed`,
 *   `late data pending`.
 * - `all`: every date with bronze or a successful run, up to date or not.
 * A date in progress, or without bronze and never run, is skipped with its reason. `force` says the date's
 * last run succeeded, so the executor must run it again rather than report it done.
 */
import type { IsoDate } from '../../core/dates.ts';
import type { DatePlan, DateStatus } from './plan-dates.ts';

export type Reprocess = 'none' | 'failed' | 'all';

export interface BackfillDate {
  date: IsoDate;
  status: DateStatus;
  force: boolean;
}

export interface BackfillSelection {
  dates: BackfillDate[];
  skipped: { date: IsoDate; status: DateStatus; reason: string }[];
}

const SUCCEEDED: readonly DateStatus[] = ['new bronze', 'models changed', 'late data pending', 'up to date'];

export function selectBackfillDates(plans: readonly DatePlan[], reprocess: Reprocess): BackfillSelection {
  const selection: BackfillSelection = { dates: [], skipped: [] };
  for (const plan of [...plans].sort((a, b) => a.date.localeCompare(b.date))) {
    const take = () =>
      selection.dates.push({ date: plan.date, status: plan.status, force: SUCCEEDED.includes(plan.status) });
    const skip = (reason: string) => selection.skipped.push({ date: plan.date, status: plan.status, reason });
    if (plan.status === 'running') {
      skip(plan.reasons[0]!);
      continue;
    }
    if (plan.status === 'missing' && !plan.wouldRun) {
      skip(plan.reasons[0]!);
      continue;
    }
    switch (reprocess) {
      case 'none':
        if (plan.status === 'missing' || plan.status === 'killed') take();
        else skip(`already ran (${plan.status}); --reprocess failed or all runs it again`);
        break;
      case 'failed':
        if (plan.status !== 'up to date') take();
        else skip('up to date; --reprocess all runs it again');
        break;
      case 'all':
        take();
        break;
    }
  }
  return selection;
}
