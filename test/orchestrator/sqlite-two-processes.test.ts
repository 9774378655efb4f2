import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exited, spawnHelper } from './helpers/child-process.ts';
import { type ControlPlaneFixture, controlPlaneFixture } from './helpers/control-plane-fixture.ts';

let fixture: ControlPlaneFixture;
afterEach(async () => {
  await fixture?.store.close();
});

describe('the SQLite state file shared by two processes', () => {
  it('keeps one writer at a time and loses no record', async () => {
    fixture = controlPlaneFixture();
    const counterFile = join(fixture.home, 'counter');
    writeFileSync(counterFile, '0');
    const rounds = 30;
    const goFile = join(fixture.home, 'go');
    const writers = ['a', 'b'].map((name) =>
      spawnHelper('./state-writer.ts', [fixture.statePath, counterFile, name, String(rounds), goFile]),
    );
    while (!writers.every((writer) => writer.output().includes('ready'))) {
      if (writers.some((writer) => writer.exitCode !== null)) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    writeFileSync(goFile, '');
    const exits = await Promise.all(writers.map(exited));
    expect(
      exits.map((exit) => exit.code),
      writers.map((writer) => writer.output()).join('\n'),
    ).toEqual([0, 0]);

    expect(Number(readFileSync(counterFile, 'utf8'))).toBe(2 * rounds);
    const runs = await fixture.store.listRuns({ dag: 'shared' });
    expect(runs).toHaveLength(2 * rounds);
    expect(new Set(runs.map((run) => run.state))).toEqual(new Set(['success']));
    expect(new Set(runs.map((run) => run.process.pid)).size).toBe(2);
    const writes = await fixture.store.silverWrites({});
    expect(writes.map((write) => write.commit)).toEqual(Array.from({ length: 2 * rounds }, (_, i) => i + 1));
    expect(await fixture.store.getLease('writer')).toBeUndefined();
  });
});
