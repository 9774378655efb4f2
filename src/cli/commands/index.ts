/** Every CLI command, in the order `--help` lists them. Each file registers one command on the program. */
import type { RegisterCommand } from '../cli-context.ts';
import { registerDemoCommand } from './demo-command.ts';
import { registerGenerateCommand } from './generate-command.ts';
import { registerIamCommand } from './iam-command.ts';
import { registerIngestCommand } from './ingest-command.ts';
import { registerModelsCommand } from './models-command.ts';
import { registerQualityCommand } from './quality-command.ts';
import { registerQueryCommand } from './query-command.ts';
import { registerRunCommand } from './run-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerVacuumCommand } from './vacuum-command.ts';
import { registerWorkerCommand } from './worker-command.ts';
import { registerWorkersCommand } from './workers-command.ts';

export const COMMANDS: RegisterCommand[] = [
  registerDemoCommand,
  registerGenerateCommand,
  registerIngestCommand,
  registerRunCommand,
  registerQualityCommand,
  registerModelsCommand,
  registerQueryCommand,
  registerIamCommand,
  registerVacuumCommand,
  registerServeCommand,
  registerWorkerCommand,
  registerWorkersCommand,
];
