/**
 * The operator's buttons: POST /api/pipeline/rerun `{date, force?}` → `fintech-etl run --date D [--force]`, and
 * POST /api/pipeline/backfill `{from, to, reprocess?}` → `fintech-etl backfill --from A --to B [--reprocess R]`,
 * each started as the CLI in a child process (server/cli-launcher.ts), so it takes the same writer lease and
 * writes the same state and logs as when typed. The server's write gate lets only the operator reach these.
 */
import type { ActionResult, WebData } from '../page-registry.ts';
import { LaunchRefused } from '../server/cli-launcher.ts';
import { BadRequest, type QueryParams } from '../server/query-params.ts';

const REPROCESS = ['none', 'failed', 'all'] as const;

export async function rerunAction(body: QueryParams, data: WebData): Promise<ActionResult> {
  const date = body.date('date');
  if (!date) throw new BadRequest("parameter 'date' is required: the logical date to run (YYYY-MM-DD)");
  const force = body.oneOf('force', ['true', 'false']) === 'true';
  return launch(data, ['run', '--date', date, ...(force ? ['--force'] : [])]);
}

export async function backfillAction(body: QueryParams, data: WebData): Promise<ActionResult> {
  const requested = body.requestedRange();
  if (!requested.from || !requested.to)
    throw new BadRequest("parameters 'from' and 'to' are required: the first and last logical dates");
  const range = requested.resolve(requested.to, 1);
  const reprocess = body.oneOf('reprocess', REPROCESS);
  return launch(data, [
    'backfill',
    '--from',
    range.from,
    '--to',
    range.to,
    ...(reprocess ? ['--reprocess', reprocess] : []),
  ]);
}

function launch(data: WebData, args: string[]): ActionResult {
  try {
    const launched = data.launcher.launch(args);
    return {
      status: 202,
      body: {
        launched,
        message: `started ${launched.command} (pid ${launched.pid}); its run shows in the grid once it begins`,
      },
    };
  } catch (error) {
    if (error instanceof LaunchRefused) return { status: 409, body: { error: error.message } };
    throw error;
  }
}
