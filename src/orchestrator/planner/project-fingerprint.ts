/**
 * The model project's fingerprint: one hash per model over its SQL (every engine variant) and its resolved
 * config, one per macro file and one per seed, and a hash of them all. A run records the fingerprint it built
 * with; `plan` compares it with the current one to say which models changed.
 *
 * Not part of a model's hash: `partitions` (rendered from the run's vars, so it differs by date, not by code)
 * and tests (they change what is checked, not what is built).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelNode, ModelProject } from '../../models/project/model-project.ts';
import type { ProjectFingerprint } from '../state/state-store.ts';

/** Keys of `models` that are not models: `macro:<path>` and `seed:<name>`. */
export function fingerprintProject(
  project: ModelProject,
  readSeed: (path: string) => string | Buffer = (path) => readFileSync(join(project.dir, path)),
): ProjectFingerprint {
  const entries: [string, string][] = [];
  for (const [name, model] of project.models) entries.push([name, hash(modelContent(model))]);
  for (const macro of project.macros) entries.push([`macro:${macro.path}`, hash(macro.sql)]);
  for (const [name, seed] of project.seeds) {
    entries.push([`seed:${name}`, hash(JSON.stringify(seed.columnTypes), readSeed(seed.path))]);
  }
  entries.sort(([a], [b]) => a.localeCompare(b));
  return {
    hash: hash(entries.map(([name, digest]) => `${name}=${digest}`).join('\n')),
    models: Object.fromEntries(entries),
  };
}

function modelContent(model: ModelNode): string {
  const { partitions: _renderedFromVars, ...config } = model.config;
  const engines = Object.entries(model.files.engines).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify({
    sql: model.files.default.sql,
    engines: engines.map(([engine, source]) => [engine, source.sql]),
    config: sortKeys(config),
  });
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
}

function hash(...parts: (string | Buffer)[]): string {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest('hex').slice(0, 16);
}

/**
 * What differs between the fingerprint a date was built with and the current one: changed, added and removed
 * entries, by name (`fact_transactions`, `macro:macros/money.sql (removed)`), sorted.
 */
export function changedModels(built: ProjectFingerprint, current: ProjectFingerprint): string[] {
  if (built.hash === current.hash) return [];
  const names = new Set([...Object.keys(built.models), ...Object.keys(current.models)]);
  const changed: string[] = [];
  for (const name of [...names].sort()) {
    const before = built.models[name];
    const after = current.models[name];
    if (before === after) continue;
    changed.push(before === undefined ? `${name} (added)` : after === undefined ? `${name} (removed)` : name);
  }
  return changed;
}
