/**
 * The few SQL spellings the compiled checks need that engines write differently. The aggregate query itself is
 * portable (count/sum over CASE, a MATERIALIZED CTE, UNION ALL of grouped selects); only these differ, so the same
 * compiler can target a warehouse engine later by supplying its dialect. The gate runs on DuckDB, over the
 * silver files.
 */
export interface QualityDialect {
  quoteIdentifier(name: string): string;
  quoteLiteral(value: string): string;
  /** True when `expression` contains a match of the regular expression `pattern` (GX: re.search). */
  regexMatches(expression: string, pattern: string): string;
  /** Character length of a text value. */
  textLength(expression: string): string;
  /** The distinct non-null values of `expression` as text, of the rows where `condition` holds (an aggregate). */
  distinctTextValues(expression: string, condition: string): string;
  /** A value that is equal for two rows exactly when all of `expressions` are (for compound uniqueness). */
  rowValue(expressions: string[]): string;
  /** A JSON object text of `fields` (name → SQL expression), every value rendered as text or null. */
  jsonObject(fields: Record<string, string>): string;
  /** A relation over Parquet files (absolute paths), matched by column name when `byName`. */
  readParquet(files: string[], byName: boolean): string;
}

export const DUCKDB_QUALITY_DIALECT: QualityDialect = {
  quoteIdentifier: (name) => `"${name.replaceAll('"', '""')}"`,
  quoteLiteral: (value) => `'${value.replaceAll("'", "''")}'`,
  regexMatches: (expression, pattern) =>
    `regexp_matches(${expression}, ${DUCKDB_QUALITY_DIALECT.quoteLiteral(pattern)})`,
  textLength: (expression) => `length(${expression})`,
  distinctTextValues: (expression, condition) =>
    `list(distinct cast(${expression} as varchar)) filter (where ${condition} and ${expression} is not null)`,
  rowValue: (expressions) => `(${expressions.join(', ')})`,
  jsonObject: (fields) =>
    `cast(to_json({${Object.entries(fields)
      .map(
        ([name, expression]) =>
          `${DUCKDB_QUALITY_DIALECT.quoteLiteral(name)}: cast(${expression} as varchar)`,
      )
      .join(', ')}}) as varchar)`,
  readParquet: (files, byName) =>
    `read_parquet([${files.map((file) => DUCKDB_QUALITY_DIALECT.quoteLiteral(file)).join(', ')}]${byName ? ', union_by_name = true' : ''})`,
};
