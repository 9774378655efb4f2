/**
 * Versioned schema migrations, one SQL file each (`NNN-what.sql` in an engine's `migrations/` folder). A store
 * applies the files newer than its recorded version when it opens, inside one locked transaction, so several
 * processes opening the same state at once apply each migration exactly once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATION_FILE = /^(\d{3})-([a-z0-9-]+)\.sql$/;

export function readMigrations(folder: string): Migration[] {
  const migrations = readdirSync(folder)
    .map((file) => ({ file, match: MIGRATION_FILE.exec(file) }))
    .filter((entry) => entry.match)
    .map(({ file, match }) => ({
      version: Number(match![1]),
      name: match![2]!,
      sql: readFileSync(join(folder, file), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migrations in ${folder} must be numbered 001, 002, … without gaps (found ${migration.version})`,
      );
    }
  });
  return migrations;
}
