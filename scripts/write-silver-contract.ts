/**
 * Writes the silver contract tables of src/silver/README.md from src/silver/silver-contract.ts, the one place
 * the contract is declared (run after changing it: `npx tsx scripts/write-silver-contract.ts`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withContractTables } from '../src/silver/contract-readme.ts';
import { SILVER_DATASETS } from '../src/silver/silver-contract.ts';

const readme = fileURLToPath(new URL('../src/silver/README.md', import.meta.url));
writeFileSync(readme, withContractTables(readFileSync(readme, 'utf8'), SILVER_DATASETS));
