/** Every CLI command, in the order `--help` lists them. Each file registers one command on the program. */
import type { RegisterCommand } from '../cli-context.ts';
import { registerBackfillCommand } from './backfill-command.ts';
import { registerDemoCommand } from './demo-command.ts';
import { registerExportCommand } from './export-command.ts';
import { registerGenerateCommand } from './generate-command.ts';
import { registerIamCommand } from './iam-command.ts';
import { registerIngestCommand } from './ingest-command.ts';
import { registerLogsCommand } from './logs-command.ts';
import { registerModelsCommand } from './models-command.ts';
import { registerPlanCommand } from './plan-command.ts';
import { registerQualityCommand } from './quality-command.ts';
import { registerQueryCommand } from './query-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerRunsCommand } from './runs-command.ts';
import { registerSchedulerCommand } from './scheduler-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerTaskCommand } from './task-command.ts';
import { registerVacuumCommand } from './vacuum-command.ts';
import { registerWorkerCommand } from './worker-command.ts';
import { registerWorkersCommand } from './workers-command.ts';

export const COMMANDS: RegisterCommand[] = [
  registerDemoCommand,
  registerGenerateCommand,
  registerIngestCommand,
  registerRunCommand,
  registerBackfillCommand,
  registerPlanCommand,
  registerRunsCommand,
  registerLogsCommand,
  registerTaskCommand,
  registerSchedulerCommand,
  registerExportCommand,
  registerQualityCommand,
  registerModelsCommand,
  registerQueryCommand,
  registerIamCommand,
  registerVacuumCommand,
  registerServeCommand,
  registerWorkerCommand,
  registerWorkersCommand,
];
