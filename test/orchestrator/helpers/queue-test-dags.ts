/**
 * DAGs of the queue worker tests, registered for `fintech-etl worker --dag-module` (and used by the test process
 * that drives them). Each task appends its worker's pid to `<conf.dir>/calls-<task>` (how many times it really ran,
 * and where), and can be told by the run's conf to take its time or to hang on its first try.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineDag } from '../../../src/orchestrator/definitions/dag.ts';
import { dagRegistry } from '../../../src/orchestrator/definitions/dag-registry.ts';
import type { JsonObject } from '../../../src/orchestrator/definitions/json-value.ts';
import { defineTask } from '../../../src/orchestrator/definitions/task-definition.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function record(conf: JsonObject, task: string, tryNumber: number): void {
  appendFileSync(join(String(conf['dir']), `calls-${task}`), `${process.pid} ${tryNumber}\n`);
}

/** `start` → five independent branches (each `conf.branchMs` long, 1500 by default) → `join`. */
export const BRANCHES = ['b1', 'b2', 'b3', 'b4', 'b5'] as const;
const start = defineTask({
  name: 'start',
  run: async ({ conf, logicalDate }, { tryNumber }) => {
    record(conf, 'start', tryNumber);
    return { date: logicalDate, amounts: ['12.50', '0.01'] };
  },
});
const branches = BRANCHES.map((name) =>
  defineTask({
    name,
    dependsOn: [start],
    run: async ({ conf, upstream }, { tryNumber, events }) => {
      record(conf, name, tryNumber);
      writeFileSync(join(String(conf['dir']), `running-${name}`), String(process.pid));
      events.emit({ kind: 'notice', message: `${name} on ${upstream.start.date}` });
      await sleep(Number(conf['branchMs'] ?? 1500));
      return { branch: name, pid: process.pid };
    },
  }),
);
const join_ = defineTask({
  name: 'join',
  dependsOn: BRANCHES,
  run: async ({ conf, upstream }, { tryNumber }) => {
    record(conf, 'join', tryNumber);
    return { branches: BRANCHES.map((name) => (upstream[name] as { branch: string }).branch) };
  },
});
export const fanoutDag = defineDag({ name: 'fanout', tasks: [start, ...branches, join_], maxActiveTasks: 5 });

/** `prepare` → `work`, whose first try hangs (after writing `working-1` with its pid) until its process is killed. */
const prepare = defineTask({
  name: 'prepare',
  run: async ({ conf }, { tryNumber }) => {
    record(conf, 'prepare', tryNumber);
    return { partitions: ['2025-03-01', '2025-02-28'] };
  },
});
const work = defineTask({
  name: 'work',
  dependsOn: [prepare],
  retry: { retries: 1, retryDelay: 0 },
  run: async ({ conf, upstream }, { tryNumber }) => {
    record(conf, 'work', tryNumber);
    writeFileSync(join(String(conf['dir']), `working-${tryNumber}`), String(process.pid));
    if (tryNumber === 1) await new Promise(() => setInterval(() => undefined, 1000));
    return { rewritten: upstream.prepare.partitions.length, pid: process.pid };
  },
});
export const killableDag = defineDag({ name: 'killable', tasks: [prepare, work] });

/** `first` (`conf.slowMs` long, 3000 by default, after writing `running-first`) → `second`. */
const first = defineTask({
  name: 'first',
  run: async ({ conf }, { tryNumber }) => {
    record(conf, 'first', tryNumber);
    writeFileSync(join(String(conf['dir']), 'running-first'), String(process.pid));
    await sleep(Number(conf['slowMs'] ?? 3000));
    return { pid: process.pid };
  },
});
const second = defineTask({
  name: 'second',
  dependsOn: [first],
  run: async ({ conf }, { tryNumber }) => {
    record(conf, 'second', tryNumber);
    return { pid: process.pid };
  },
});
export const drainDag = defineDag({ name: 'drain', tasks: [first, second] });

for (const dag of [fanoutDag, killableDag, drainDag]) dagRegistry.register(dag.name, dag);
