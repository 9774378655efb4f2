/** Filter choices from an options query (rows of kind and value): kind → its values, in the query's order. */
import type { WarehouseRow } from '../../warehouse/warehouse.ts';

export function optionsOf(rows: WarehouseRow[]): Record<string, string[]> {
  const options: Record<string, string[]> = {};
  for (const row of rows) {
    const kind = String(row['kind'] ?? 'value');
    const values = options[kind] ?? [];
    values.push(String(row['value']));
    options[kind] = values;
  }
  return options;
}
