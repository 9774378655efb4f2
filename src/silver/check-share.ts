/**
 * Which bronze records silver check job `index` of `of` takes (the split of silver, issue 26). A day with at
 * least as many files as jobs is split by **whole files**: each job reads and downloads only its own files. A day
 * with fewer files is split by **interleaved records**: every job reads every file and takes record k when
 * (k - 1) mod `of` = index (a CSV record may span lines, so a file cannot be cut at a byte offset).
 *
 * The assignment is a function of the committed partition alone (its manifest's record counts and the commit
 * log's sizes), so a retried or repeated job takes the same files, and the commit (run-silver.ts) computes the
 * same shares to verify what the jobs staged.
 *
 * @example
 *   const share = checkShare(partition.files, { index: 0, of: 3 });
 *   share.split === 'files' ? share.files : 'records k with (k - 1) mod 3 = 0 of every file';
 */
import type { BronzeFileEntry } from './bronze-files.ts';
import type { BronzeChunk } from './read-bronze-batch.ts';

export type CheckSplit = 'files' | 'records';

/** What a check job reads: its whole files, or its chunk of every file's records. */
export interface CheckShare<File> {
  split: CheckSplit;
  /** The files the job reads, in partition order: its own (`files`) or all of them (`records`). */
  files: File[];
}

type Weighed = Pick<BronzeFileEntry, 'fileNo' | 'manifestRows' | 'bytes'>;

export function checkSplit(fileCount: number, jobs: number): CheckSplit {
  return fileCount >= jobs ? 'files' : 'records';
}

export function checkShare<File extends Weighed>(
  files: readonly File[],
  chunk: BronzeChunk,
): CheckShare<File> {
  if (checkSplit(files.length, chunk.of) === 'records') return { split: 'records', files: [...files] };
  return { split: 'files', files: assignWholeFiles(files, chunk.of)[chunk.index]! };
}

/**
 * The partition's files over `jobs` jobs, balanced by records, then bytes: largest file first, each to the job
 * with the least so far (then the fewest files, then the lowest index). Greedy, so within 4/3 of the best
 * balance; deterministic, as every input is committed. Each job's files are in partition order.
 */
export function assignWholeFiles<File extends Weighed>(files: readonly File[], jobs: number): File[][] {
  const loads = Array.from({ length: jobs }, () => ({ records: 0, bytes: 0, files: [] as File[] }));
  const largestFirst = [...files].sort(
    (a, b) => b.manifestRows - a.manifestRows || b.bytes - a.bytes || a.fileNo - b.fileNo,
  );
  for (const file of largestFirst) {
    // reduce keeps the first of equal loads: the lowest index.
    const least = loads.reduce((best, load) =>
      load.records < best.records ||
      (load.records === best.records &&
        (load.bytes < best.bytes || (load.bytes === best.bytes && load.files.length < best.files.length)))
        ? load
        : best,
    );
    least.records += file.manifestRows;
    least.bytes += file.bytes;
    least.files.push(file);
  }
  return loads.map((load) => load.files.sort((a, b) => a.fileNo - b.fileNo));
}
