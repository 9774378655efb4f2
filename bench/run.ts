/**
 * `npm run bench [-- NAME...]`: runs every `bench/*.bench.ts` (or those whose name contains NAME) one after the
 * other and prints their figures. Benchmarks print; they never assert on time (the machine is shared).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Benchmark {
  /** What is measured, printed as a heading. */
  title: string;
  run(): Promise<void>;
}

const folder = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(folder)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort();

for (const file of files) {
  const { benchmark } = (await import(`./${file}`)) as { benchmark: Benchmark };
  console.log(`\n=== ${benchmark.title} (${file})`);
  await benchmark.run();
}
