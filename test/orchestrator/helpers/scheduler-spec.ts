import type { IsoDate } from '../../../src/core/dates.ts';
import type { ScheduleSpec } from '../../../src/orchestrator/scheduler/schedule.ts';

/** Daily at 06:00 in Seoul from 1 March 2025; with FINTECH_ETL_NOW=2025-03-02T07:00+09:00 only 1 March is due. */
export const SCHEDULE: ScheduleSpec = {
  schedule: '0 6 * * *',
  timezone: 'Asia/Seoul',
  startDate: '2025-03-01' as IsoDate,
  catchup: true,
  maxActiveRuns: 1,
};
export const NOW = '2025-03-02T07:00:00+09:00';
