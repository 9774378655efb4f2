import { describe, expect, it } from 'vitest';
import { assignWholeFiles, checkShare } from './check-share.ts';

const file = (fileNo: number, manifestRows: number, bytes = manifestRows * 100) => ({
  fileNo,
  manifestRows,
  bytes,
});
const numbers = (jobs: { fileNo: number }[][]) => jobs.map((files) => files.map((each) => each.fileNo));

describe('checkShare', () => {
  it('gives every job every file, split by records, when the day has fewer files than jobs', () => {
    const files = [file(0, 10), file(1, 20)];
    expect(checkShare(files, { index: 2, of: 3 })).toEqual({ split: 'records', files });
  });

  it('gives each job whole files from the day of at least as many files as jobs', () => {
    const files = [file(0, 6), file(1, 2), file(2, 5), file(3, 3), file(4, 4)];
    expect(checkShare(files, { index: 1, of: 3 })).toEqual({
      split: 'files',
      files: [file(1, 2), file(2, 5)],
    });
  });
});

describe('assignWholeFiles', () => {
  it('balances records, largest file first, each job listing its files in partition order', () => {
    // 6 → job 1, 5 → job 2, 4 → job 3, then 3 to job 3 (4 so far), 2 to job 2 (5): loads 6, 7, 7.
    const files = [file(0, 6), file(1, 2), file(2, 5), file(3, 3), file(4, 4)];
    expect(numbers(assignWholeFiles(files, 3))).toEqual([[0], [1, 2], [3, 4]]);
  });

  it('is the same whatever order the files are listed in, and every file is in exactly one job', () => {
    const files = Array.from({ length: 23 }, (_, fileNo) =>
      file(fileNo, (fileNo * 7919) % 97, 1000 + fileNo),
    );
    const forward = numbers(assignWholeFiles(files, 5));
    expect(numbers(assignWholeFiles([...files].reverse(), 5))).toEqual(forward);
    expect(forward.flat().sort((a, b) => a - b)).toEqual(files.map((each) => each.fileNo));
    const loads = assignWholeFiles(files, 5).map((job) =>
      job.reduce((sum, each) => sum + each.manifestRows, 0),
    );
    // Greedy largest-first ends within the largest file of perfect balance.
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(96);
  });

  it('breaks ties by bytes, then by fewer files, so each job gets a file even when none holds a record', () => {
    const files = [file(0, 0, 0), file(1, 0, 10), file(2, 0, 0), file(3, 0, 0)];
    expect(numbers(assignWholeFiles(files, 3))).toEqual([[1], [0, 3], [2]]);
  });
});
