/** The logical date the pages open on by default: the latest one the gold marts describe. */
import type { IsoDate } from '../../core/dates.ts';
import { type GoldDatabase, NoDataYet, sqlFile } from './gold-database.ts';

export async function latestLogicalDate(gold: GoldDatabase): Promise<IsoDate> {
  const [row] = await gold.query(sqlFile('latest-date'));
  const latest = row?.['latest_date'];
  if (typeof latest !== 'string') throw new NoDataYet(['mart_sales_daily']);
  return latest as IsoDate;
}
