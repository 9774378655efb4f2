import { describe, expect, it } from 'vitest';
import { dailyBatchEtl } from '../../pipeline/dag/daily-batch-etl.ts';
import { UsageError } from '../core/errors.ts';
import { selectWorkerTasks } from './worker-task-selection.ts';

const daily = dailyBatchEtl(undefined, { silverCheckJobs: 3 });

describe('worker --tasks', () => {
  it('takes names and name prefixes ending in *, each task once', () => {
    expect(selectWorkerTasks('silver_check_*,silver,silver_check_2', [daily])).toEqual([
      'silver_check_1',
      'silver_check_2',
      'silver_check_3',
      'silver',
    ]);
    expect(selectWorkerTasks(' load , models ', [daily])).toEqual(['load', 'models']);
    expect(selectWorkerTasks(undefined, [daily])).toBeUndefined();
  });

  it('refuses a name or pattern that matches no task, listing the tasks there are', () => {
    expect(() => selectWorkerTasks('gold,check_*', [daily])).toThrow(UsageError);
    expect(() => selectWorkerTasks('gold,check_*', [daily])).toThrow(
      "--tasks 'gold,check_*': no registered DAG has task check_* (tasks: silver_check_1, silver_check_2, " +
        'silver_check_3, silver, quality, load, models, tests, gold)',
    );
    expect(() => selectWorkerTasks(',', [daily])).toThrow("--tasks ',': names no task");
  });
});
