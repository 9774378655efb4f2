/**
 * Reads the expectation suites (`pipeline/suites/*.yml`, one per dataset) and validates them with zod. A
 * mistake is refused before anything runs, as one sentence naming the file, the line and what is allowed
 * (`transactions.yml:14: argument 'colum' is not allowed for expect_column_values_to_not_be_null; allowed:
 * column, mostly, row_condition`) — the `yaml` package keeps each node's position, so zod's issue paths map
 * back to lines.
 *
 * @example
 *   const suites = loadSuites('pipeline/suites');            // every suite
 *   const [suite] = loadSuites('pipeline/suites', { only: 'transactions' });
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import {
  argumentsOf,
  EXPECTATION_CATALOG,
  EXPECTATION_TYPES,
  type ExpectationType,
  kindOf,
} from './expectation-catalog.ts';
import { columnsOf, type Expectation, QUALITY_DATASETS, type Suite } from './suite.ts';

/** A suite file that cannot be used: exit code 2, like any bad config. */
export class SuiteError extends ConfigError {
  override name = 'SuiteError';
}

const suiteSchema = z
  .object({
    expectation_suite_name: z.string().min(1),
    dataset: z.enum(QUALITY_DATASETS),
    partition_by: z.array(z.string().min(1)).min(1).optional(),
    expectations: z.array(z.unknown()),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const envelopeSchema = z
  .object({
    expectation_type: z.string().min(1),
    kwargs: z.record(z.string(), z.unknown()).default({}),
    severity: z.enum(['error', 'warn']).default('error'),
    per_partition: z.boolean().default(false),
    meta: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export interface LoadSuitesOptions {
  /** Only the suite with this name (its `expectation_suite_name`, or its file name without `.yml`). */
  only?: string;
}

export function loadSuites(dir: string, options: LoadSuitesOptions = {}): Suite[] {
  if (!existsSync(dir)) {
    throw new SuiteError(`the expectation suites folder ${displayPath(dir)} does not exist`);
  }
  const files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
  const suites = files.map((name) => parseSuite(readFileSync(join(dir, name), 'utf8'), join(dir, name)));
  const seen = new Map<string, Suite>();
  for (const suite of suites) {
    const earlier = seen.get(suite.dataset);
    if (earlier) {
      throw new SuiteError(
        `${displayPath(suite.file)}:1: dataset '${suite.dataset}' already has a suite in ${displayPath(earlier.file)}; one suite per dataset`,
      );
    }
    seen.set(suite.dataset, suite);
  }
  if (options.only === undefined) return suites;
  const chosen = suites.filter(
    (suite) => suite.name === options.only || fileStem(suite.file) === options.only,
  );
  if (chosen.length === 0) {
    throw new SuiteError(
      `no suite named '${options.only}' in ${displayPath(dir)}; suites: ${suites.map((suite) => suite.name).join(', ') || 'none'}`,
    );
  }
  return chosen;
}

/** Parses and validates one suite's YAML text; `file` names it in errors and results. */
export function parseSuite(text: string, file: string): Suite {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const where = (line: number) => `${displayPath(file)}:${line}`;
  const firstError = document.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0].line ?? 1;
    throw new SuiteError(`${where(line)}: not valid YAML: ${firstError.message.split('\n')[0]}`);
  }
  const lineAt = (path: (string | number)[], key?: string) => nodeLine(document, lineCounter, path, key);

  const parsed = suiteSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new SuiteError(
      `${where(issueLine(issue, [], lineAt))}: ${describeIssue(issue, 'the suite', ['expectation_suite_name', 'dataset', 'partition_by', 'expectations', 'meta'])}`,
    );
  }
  const suiteFile = parsed.data;
  const expectations: Expectation[] = suiteFile.expectations.map((raw, index) => {
    const path = ['expectations', index];
    const at = (sub: (string | number)[] = [], key?: string) => where(lineAt([...path, ...sub], key));
    const envelope = envelopeSchema.safeParse(raw ?? {});
    if (!envelope.success) {
      const issue = firstIssue(envelope.error);
      throw new SuiteError(
        `${where(issueLine(issue, path, lineAt))}: ${describeIssue(issue, 'an expectation', ['expectation_type', 'kwargs', 'severity', 'per_partition', 'meta'])}`,
      );
    }
    const { expectation_type: typeName, kwargs, severity, per_partition: perPartition, meta } = envelope.data;
    if (!(EXPECTATION_TYPES as string[]).includes(typeName)) {
      throw new SuiteError(
        `${at(['expectation_type'])}: unknown expectation '${typeName}'; allowed: ${EXPECTATION_TYPES.join(', ')}`,
      );
    }
    const type = typeName as ExpectationType;
    const checked = EXPECTATION_CATALOG[type].kwargs.safeParse(kwargs);
    if (!checked.success) {
      const issue = firstIssue(checked.error);
      throw new SuiteError(
        `${where(issueLine(issue, [...path, 'kwargs'], lineAt))}: ${describeIssue(issue, type, argumentsOf(type))}`,
      );
    }
    if (perPartition) {
      if (!suiteFile.partition_by) {
        throw new SuiteError(
          `${at(['per_partition'])}: per_partition needs the suite's partition_by (the columns of a partition)`,
        );
      }
      if (kindOf(type) !== 'map' && kindOf(type) !== 'aggregate') {
        throw new SuiteError(
          `${at(['per_partition'])}: per_partition is not allowed for ${type}, which compares the whole batch with its history or ledger`,
        );
      }
    }
    if (kindOf(type) === 'ledger' && suiteFile.dataset !== 'transactions') {
      throw new SuiteError(
        `${at(['expectation_type'])}: ${type} reads the transactions ledger; allowed only in the transactions suite`,
      );
    }
    return {
      id: '',
      type,
      kwargs: checked.data,
      severity,
      perPartition,
      meta,
      location: { file: displayPath(file), line: lineAt(path) },
    } as Expectation;
  });
  return {
    name: suiteFile.expectation_suite_name,
    dataset: suiteFile.dataset,
    partitionBy: suiteFile.partition_by ?? [],
    expectations: withIds(expectations),
    file: displayPath(file),
  };
}

/** Gives each expectation its stable id: type(columns)[ where condition], numbered when repeated. */
function withIds(expectations: Expectation[]): Expectation[] {
  const counts = new Map<string, number>();
  return expectations.map((expectation) => {
    const condition = (expectation.kwargs as { row_condition?: string }).row_condition;
    const base = `${expectation.type}(${columnsOf(expectation).join(', ')})${condition ? ` where ${condition}` : ''}`;
    const seen = (counts.get(base) ?? 0) + 1;
    counts.set(base, seen);
    return { ...expectation, id: seen === 1 ? base : `${base} #${seen}` };
  });
}

type LineAt = (path: (string | number)[], key?: string) => number;

/** The issue to report: a key that is not allowed first (a misspelt argument is also a missing one). */
function firstIssue(error: z.ZodError): z.core.$ZodIssue {
  return error.issues.find((issue) => issue.code === 'unrecognized_keys') ?? error.issues[0]!;
}

function issueLine(issue: z.core.$ZodIssue, prefix: (string | number)[], lineAt: LineAt): number {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  if (issue.code === 'unrecognized_keys') return lineAt(path, issue.keys[0]);
  return lineAt(path);
}

function describeIssue(issue: z.core.$ZodIssue, owner: string, allowed: string[]): string {
  const path = (issue.path as (string | number)[]).join('.');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const what = owner.startsWith('expect_') ? 'argument' : 'key';
      const ofWhat = owner.startsWith('expect_') ? ` for ${owner}` : ` in ${owner}`;
      return `${what} '${issue.keys[0]}' is not allowed${ofWhat}; allowed: ${allowed.join(', ')}`;
    }
    case 'invalid_value':
      return `${path ? `'${path}'` : owner} must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_type':
      if (issue.input === undefined) return `${owner} needs '${path}'; allowed: ${allowed.join(', ')}`;
      return `'${path}' of ${owner}: ${issue.message}`;
    default:
      return path ? `'${path}' of ${owner}: ${issue.message}` : `${owner} ${issue.message}`;
  }
}

/**
 * The 1-based line of the node at `path` (or of its `key` inside that mapping); the nearest existing ancestor
 * when the node is missing (an argument that should be there).
 */
function nodeLine(
  document: Document,
  lineCounter: LineCounter,
  path: (string | number)[],
  key?: string,
): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth), true) as Node | undefined;
    if (!node?.range) continue;
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) return lineCounter.linePos(keyNode.range[0]).line;
    }
    return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

function displayPath(file: string): string {
  const fromCwd = relative(process.cwd(), file);
  return fromCwd && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd : file;
}

function fileStem(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
}
