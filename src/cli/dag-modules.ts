/**
 * Modules that register DAGs in `dagRegistry` when imported (src/orchestrator/definitions/dag-registry.ts): the
 * DAGs every `fintech-etl worker` runs without `--dag-module`. The fintech DAG's module (pipeline/dag) belongs here.
 */
export const DAG_MODULES: readonly URL[] = [];
