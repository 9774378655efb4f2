/**
 * The loopback S3-protocol server (fauxqs) as a process of its own, for benchmarks that time `fintech-etl`
 * child processes against it: the server's CPU is then measurable apart (/proc/<pid>/stat), and a synchronous
 * wait in the bench cannot stall it. Prints `{"endpoint", "bucket"}` as one JSON line once listening.
 */
import { startFauxqs } from 'fauxqs';

const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
server.createBucket('bench');
process.stdout.write(`${JSON.stringify({ endpoint: server.address, bucket: 'bench' })}\n`);
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
