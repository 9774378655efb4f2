/**
 * The pages of the web app, in the order the navigation lists them. A page is a URL, a static skeleton
 * rendered by the server, a script under static/pages/<id>.js that draws it, and one data endpoint
 * (GET /api/<id>) that answers from the readers in {@link WebData}, plus any further endpoints (GET
 * /api/<id>/<name>) and operator actions (POST /api/<id>/<name>, behind the operator gate). Adding a page is one
 * module here and one script; the server needs no change.
 */
import type { GoldDatabase } from './data/gold-database.ts';
import type { LakeFiles } from './data/lake-files.ts';
import type { LineageReader } from './data/lineage-docs.ts';
import type { RunStateReader } from './data/run-state-reader.ts';
import { customersPage } from './pages/customers-page.ts';
import { dataHealthPage } from './pages/data-health-page.ts';
import { fraudPage } from './pages/fraud-page.ts';
import { lineagePage } from './pages/lineage-page.ts';
import { merchantsPage } from './pages/merchants-page.ts';
import { overviewPage } from './pages/overview-page.ts';
import { pipelinePage } from './pages/pipeline-page.ts';
import { salesPage } from './pages/sales-page.ts';
import type { CliLauncher } from './server/cli-launcher.ts';
import type { QueryParams } from './server/query-params.ts';

/**
 * Everything the pages read, each behind a small reader: the lake's files, the gold tables, the model project,
 * the control plane's runs and logs; and the launcher of the operator's CLI commands.
 */
export interface WebData {
  gold: GoldDatabase;
  lake: LakeFiles;
  lineage: LineageReader;
  runs: RunStateReader;
  launcher: CliLauncher;
}

/** What an operator action answers: an HTTP status and a JSON body. */
export interface ActionResult {
  status: 200 | 202 | 400 | 409;
  body: object;
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
  /** Further data endpoints, GET /api/<id>/<name>, with the same rules as {@link load}. */
  endpoints?: Record<string, (query: QueryParams, data: WebData) => Promise<object>>;
  /**
   * Operator actions, POST /api/<id>/<name> with a JSON object body (read through the same validating getters as
   * a query string). The server lets only the operator reach them.
   */
  actions?: Record<string, (body: QueryParams, data: WebData) => Promise<ActionResult>>;
}

export const PAGES: readonly WebPage[] = [
  overviewPage,
  salesPage,
  customersPage,
  fraudPage,
  merchantsPage,
  dataHealthPage,
  pipelinePage,
  lineagePage,
];
