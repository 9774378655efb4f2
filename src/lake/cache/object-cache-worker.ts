/** A second process using the same cache folder (object-cache.test.ts): fetches, reads and checks objects. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LocalObjectStore } from '../local/local-object-store.ts';
import { ObjectCache } from './object-cache.ts';

const [lakeRoot, cacheDir, maxBytes, rounds, seed] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
let downloads = 0;
class CountingStore extends LocalObjectStore {
  override getToFile(key: string, path: string) {
    downloads++;
    return super.getToFile(key, path);
  }
}
// Pinned long enough to read the object right after fetching it, short enough for the other process to evict.
const cache = new ObjectCache(new CountingStore(lakeRoot), {
  dir: cacheDir,
  maxBytes: Number(maxBytes),
  pinMs: 400,
});
const start = Number(seed);
const keys = JSON.parse(readFileSync(`${lakeRoot}/keys.json`, 'utf8')) as Record<string, string>;
const names = Object.keys(keys);
let checked = 0;
for (let round = 0; round < Number(rounds); round++) {
  // Both processes walk every key, from different starts, so each evicts what the other just fetched.
  const key = names[(round * 5 + start) % names.length]!;
  const path = await cache.fetch(key);
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (sha !== keys[key]) throw new Error(`corrupt cached copy of ${key}`);
  checked++;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
cache.close();
process.stdout.write(`${checked} ${downloads}\n`);
