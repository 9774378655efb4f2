/**
 * RFC 4180 CSV for seeds (quoted fields, doubled quotes, newlines inside quotes). Leading lines starting with
 * `#` are comments (where a seed says it came from). Seeds are small reference tables, so this reads whole files.
 */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  let start = 0;
  while (start < lines.length && (lines[start]!.startsWith('#') || lines[start]!.trim() === '')) start++;
  const body = lines.slice(start).join('\n');
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (quoted) {
      if (char === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && body[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || record.length) {
    record.push(field);
    records.push(record);
  }
  const [header = [], ...rows] = records.filter((r) => !(r.length === 1 && r[0] === ''));
  return { header, rows };
}
