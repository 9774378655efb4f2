/**
 * The silver contract as Markdown tables for README.md, derived from silver-contract.ts. The README holds each
 * table between `<!-- silver-contract:<dataset> -->` and `<!-- /silver-contract -->`; a test fails when a table
 * differs from the declaration, and `npx tsx scripts/write-silver-contract.ts` writes them again.
 */
import { standardSqlType } from '../core/column-type.ts';
import type { SilverDataset } from './silver-contract.ts';

export function contractTable(dataset: SilverDataset): string {
  const rows = dataset.columns.map(
    (column) => `| ${column.name} | ${standardSqlType(column.type).toUpperCase()} | ${column.meaning} |`,
  );
  return ['| column | type | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

const SECTION = /<!-- silver-contract:(\w+) -->\n[\s\S]*?<!-- \/silver-contract -->/g;

/** `readme` with every contract table replaced by the one `datasets` declare. */
export function withContractTables(readme: string, datasets: readonly SilverDataset[]): string {
  return readme.replace(SECTION, (section, name: string) => {
    const dataset = datasets.find((candidate) => candidate.name === name);
    if (!dataset) return section;
    return `<!-- silver-contract:${name} -->\n${contractTable(dataset)}\n<!-- /silver-contract -->`;
  });
}

/** The datasets whose table README.md holds. */
export function contractSections(readme: string): string[] {
  return [...readme.matchAll(SECTION)].map((match) => match[1]!);
}
