/**
 * Child process of the retry tests: another program holding a DuckDB warehouse file open (DuckDB lets one
 * process write a file), until the test writes the release file.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [path, markerFile, releaseFile] = process.argv.slice(2) as [string, string, string];
const instance = await DuckDBInstance.create(path);
const connection = await instance.connect();
await connection.run('create table if not exists held_by_another_program (n integer)');
writeFileSync(markerFile, String(process.pid));
while (!existsSync(releaseFile)) await new Promise((resolve) => setTimeout(resolve, 50));
connection.closeSync();
instance.closeSync();
