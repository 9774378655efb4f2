// The npm registry mirror on our build machines serves only the linux-x64 builds of packages that ship
// per-platform binaries (DuckDB, Biome). `npm install` then leaves the other platforms' optional packages out
// of package-lock.json, and `npm ci` refuses the lock as out of sync. This adds the missing entries with their
// os/cpu/libc constraints (no resolved/integrity: npm fetches and checks them on the platforms that need them),
// so `npm ci` works here and elsewhere. Run after every `npm install`: node scripts/lock-platform-stubs.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages;
let added = 0;
for (const entry of Object.values(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const platform = /-(android|darwin|linux|win32|freebsd)-(arm64|x64|ia32|arm)(-musl|-gnu)?$/.exec(name);
    if (!platform) continue;
    packages[key] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [platform[1]],
      cpu: [platform[2]],
      ...(platform[3] === '-musl' ? { libc: ['musl'] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform entries`);
