/**
 * Modules that register DAGs in `dagRegistry` when imported (src/orchestrator/definitions/dag-registry.ts): the
 * DAGs every `fintech-etl worker` runs without `--dag-module`.
 */
export const DAG_MODULES: readonly URL[] = [new URL('./daily-dag-for-worker.ts', import.meta.url)];
