/**
 * The pages of the web app, in the order the navigation lists them. A page is a URL, a static skeleton
 * rendered by the server, a script under static/pages/<id>.js that draws it, and one data endpoint
 * (GET /api/<id>) that answers from the readers in {@link WebData}. Adding a page (the Pipeline page, once the
 * run state store exists) is one module here and one script; the server needs no change.
 */
import type { GoldDatabase } from './data/gold-database.ts';
import type { LakeFiles } from './data/lake-files.ts';
import type { LineageReader } from './data/lineage-docs.ts';
import { customersPage } from './pages/customers-page.ts';
import { dataHealthPage } from './pages/data-health-page.ts';
import { fraudPage } from './pages/fraud-page.ts';
import { lineagePage } from './pages/lineage-page.ts';
import { merchantsPage } from './pages/merchants-page.ts';
import { overviewPage } from './pages/overview-page.ts';
import { salesPage } from './pages/sales-page.ts';
import type { QueryParams } from './server/query-params.ts';

/** Everything the pages read, each behind a small reader: the lake's files, the gold tables, the model project. */
export interface WebData {
  gold: GoldDatabase;
  lake: LakeFiles;
  lineage: LineageReader;
}

export interface WebPage {
  /** Names the data endpoint (/api/<id>) and the script (static/pages/<id>.js). */
  id: string;
  /** The page's URL; its query string holds the page's filters, so a link or the back button restores them. */
  path: string;
  title: string;
  /** One line under the title: what the page shows and where it comes from. */
  summary: string;
  /** Whether the page draws charts (the server then loads ECharts before the page's script). */
  charts: boolean;
  /** Static HTML placed under the title: filter forms and the containers the script fills. */
  body: string;
  /** The data endpoint: a JSON document built from validated parameters of fixed queries. */
  load(query: QueryParams, data: WebData): Promise<object>;
}

export const PAGES: readonly WebPage[] = [
  overviewPage,
  salesPage,
  customersPage,
  fraudPage,
  merchantsPage,
  dataHealthPage,
  lineagePage,
];
