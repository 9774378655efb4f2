import { describe, expect, it } from 'vitest';
import { parseLogEntry } from './delta-log.ts';
import { TableSnapshot } from './table-snapshot.ts';

/**
 * Two entries in the shape Spark's Delta writer produces (written for this test after the protocol's examples):
 * commitInfo with engine-specific fields, a txn action, Hive-escaped partition folders whose path in the log
 * is URI-encoded once more, stats and tags.
 */
const VERSION_0 = [
  '{"commitInfo":{"timestamp":1722331111000,"operation":"WRITE","operationParameters":{"mode":"Append","partitionBy":"[\\"dept\\"]"},"isolationLevel":"Serializable","isBlindAppend":true,"operationMetrics":{"numFiles":"2"},"engineInfo":"Apache-Spark/3.5.1 Delta-Lake/3.2.0","txnId":"0f9c"}}',
  '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}',
  '{"metaData":{"id":"5d6b","format":{"provider":"parquet","options":{}},"schemaString":"{\\"type\\":\\"struct\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"long\\",\\"nullable\\":true,\\"metadata\\":{}},{\\"name\\":\\"dept\\",\\"type\\":\\"string\\",\\"nullable\\":true,\\"metadata\\":{}}]}","partitionColumns":["dept"],"configuration":{},"createdTime":1722331110000}}',
  '{"add":{"path":"dept=sales%2520%2526%2520ops/part-00000-aa.c000.snappy.parquet","partitionValues":{"dept":"sales & ops"},"size":800,"modificationTime":1722331111000,"dataChange":true,"stats":"{\\"numRecords\\":5,\\"minValues\\":{\\"id\\":1},\\"maxValues\\":{\\"id\\":5},\\"nullCount\\":{\\"id\\":0}}","tags":{"INSERTION_TIME":"1722331111000000"}}}',
  '{"add":{"path":"dept=it/part-00000-bb.c000.snappy.parquet","partitionValues":{"dept":"it"},"size":700,"modificationTime":1722331111000,"dataChange":true}}',
].join('\n');
const VERSION_1 = [
  '{"commitInfo":{"timestamp":1722331222000,"operation":"MERGE","readVersion":0,"engineInfo":"Apache-Spark/3.5.1 Delta-Lake/3.2.0"}}',
  '{"txn":{"appId":"stream-1","version":7,"lastUpdated":1722331222000}}',
  '{"remove":{"path":"dept=it/part-00000-bb.c000.snappy.parquet","deletionTimestamp":1722331222000,"dataChange":true,"extendedFileMetadata":true,"partitionValues":{"dept":"it"},"size":700}}',
  '{"add":{"path":"dept=it/part-00001-cc.c000.snappy.parquet","partitionValues":{"dept":"it"},"size":650,"modificationTime":1722331222000,"dataChange":true,"stats":"{\\"numRecords\\":3}"}}',
].join('\n');

describe('TableSnapshot', () => {
  it('reads a log written by another Delta writer: unknown actions and fields ignored, paths URI-decoded once', () => {
    const snapshot = TableSnapshot.empty('lake/emp')
      .apply(0, parseLogEntry(VERSION_0, 'v0'))
      .apply(1, parseLogEntry(VERSION_1, 'v1'));
    expect(snapshot.version).toBe(1);
    expect(snapshot.partitionColumns).toEqual(['dept']);
    expect(snapshot.files()).toEqual([
      {
        key: 'lake/emp/dept=it/part-00001-cc.c000.snappy.parquet',
        partitionValues: { dept: 'it' },
        size: 650,
        modificationTime: 1722331222000,
        numRecords: 3,
      },
      {
        // The folder name keeps Spark's Hive escaping; the log's URI encoding of it is undone.
        key: 'lake/emp/dept=sales%20%26%20ops/part-00000-aa.c000.snappy.parquet',
        partitionValues: { dept: 'sales & ops' },
        size: 800,
        modificationTime: 1722331111000,
        numRecords: 5,
      },
    ]);
    expect(snapshot.files({ dept: 'sales & ops' })).toHaveLength(1);
    expect([...snapshot.keysReferencedSince(1722331222000)].sort()).toEqual([
      'lake/emp/dept=it/part-00000-bb.c000.snappy.parquet',
      'lake/emp/dept=it/part-00001-cc.c000.snappy.parquet',
      'lake/emp/dept=sales%20%26%20ops/part-00000-aa.c000.snappy.parquet',
    ]);
    expect(
      snapshot.keysReferencedSince(1722331222001).has('lake/emp/dept=it/part-00000-bb.c000.snappy.parquet'),
    ).toBe(false);
  });
});
