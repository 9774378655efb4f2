// Data tables: a header per column, one row per record, cells carrying data-col (and rows data-key) so a
// reader — or a test — finds a figure by name.
import { h } from './dom.js';

/**
 * columns: [{ id, label, format?(value, row), numeric?, nowrap?, sortable? }]
 * options: { key(row), sort: { column, dir, link(column, dir) } } — a sortable header is a link.
 */
export function table(name, columns, rows, options = {}) {
  const head = h(
    'tr',
    {},
    columns.map((column) => {
      const sorted = options.sort && options.sort.column === column.id;
      const label =
        column.sortable && options.sort
          ? h(
              'a',
              {
                href: options.sort.link(column.id, sorted && options.sort.dir === 'desc' ? 'asc' : 'desc'),
                class: sorted ? `sorted ${options.sort.dir}` : undefined,
              },
              column.label,
            )
          : column.label;
      return h(
        'th',
        {
          scope: 'col',
          class: column.numeric ? 'num' : undefined,
          'aria-sort': sorted ? (options.sort.dir === 'asc' ? 'ascending' : 'descending') : undefined,
        },
        label,
      );
    }),
  );
  const body = rows.map((row) =>
    h(
      'tr',
      { dataset: options.key ? { key: options.key(row) } : {} },
      columns.map((column) => {
        const value = row[column.id];
        const shown = column.format ? column.format(value, row) : value;
        const classes = [column.numeric ? 'num' : '', column.nowrap ? 'nowrap' : '']
          .filter(Boolean)
          .join(' ');
        return h('td', { class: classes || undefined, dataset: { col: column.id } }, shown);
      }),
    ),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'data', dataset: { table: name } }, h('thead', {}, head), h('tbody', {}, body)),
  );
}
