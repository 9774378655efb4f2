/**
 * The `fintech-etl.yaml` schema. Every key has a default, so no file at all gives a working embedded setup
 * under `--home`. Unknown keys are refused (a typo must not silently fall back to a default).
 */
import currencyCodes from 'currency-codes';
import { z } from 'zod';

const isoCurrency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be a 3-letter upper-case ISO 4217 code')
  .refine((code) => currencyCodes.code(code) !== undefined, 'is not an ISO 4217 currency code');

const timezone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'is not an IANA time zone (for example Asia/Seoul or UTC)');

const rate = z.number().min(0).max(1);

/** A calendar date written YYYY-MM-DD that exists (2024-02-30 does not). */
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((text) => {
    const ms = Date.parse(`${text}T00:00:00Z`);
    return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(text);
  }, 'is not a calendar date');

/** Where a secret comes from: an environment variable, a file (read at use, never logged), or AWS Secrets Manager. */
export const secretRefSchema = z.union([
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ aws_secret: z.string().min(1), region: z.string().optional() }).strict(),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

const generatorSchema = z
  .object({
    seed: z.number().int().default(42),
    rows_per_day: z.number().int().min(0).default(100_000),
    customers: z.number().int().min(1).default(20_000),
    merchants: z.number().int().min(1).default(2_000),
    /** Customers sign up between this date and the first generated date. */
    world_start: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
      .default('2024-01-01'),
    gzip: z.boolean().default(false),
    late_rate: rate.default(0.05),
    max_late_days: z.number().int().min(1).max(365).default(2),
    far_late_rate: rate.default(0.002),
    far_late_max_days: z.number().int().min(1).max(3650).default(30),
    dup_rate: rate.default(0.01),
    update_rate: rate.default(0.01),
    bad_rate: rate.default(0.005),
    entity_change_rate: rate.default(0.002),
  })
  .strict();

/** A DuckDB memory limit: above it DuckDB spills to its temp directory instead of growing. */
const memoryLimit = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'must look like 1GB or 512MB');

/** What every DuckDB session of fintech-etl is bounded by (silver's, the embedded warehouse's). */
const duckdbSessionShape = {
  /** Above it DuckDB spills to temp_directory instead of growing. */
  memory_limit: memoryLimit.default('1GB'),
  threads: z.number().int().min(1).max(256).optional(),
  temp_directory: z.string().optional(),
};

const silverSchema = z
  .object({
    /** A txn_ts later than the end of the ingest date plus this many hours is quarantined as future_timestamp. */
    future_tolerance_hours: z.number().min(0).default(24),
    /** A txn_ts whose event date is before this date is quarantined as early_timestamp. */
    earliest_event_date: isoDate.default('2000-01-01'),
    ...duckdbSessionShape,
  })
  .strict();

/**
 * The embedded DuckDB warehouse (`warehouse: duckdb://…`): bounded like silver, so a whole run stays in fixed
 * memory. Without a limit DuckDB takes up to 80% of the machine's memory. Measured peak RSS of a run:
 * - day 31 of 1M on 30 days × 200k: 1.80 GB without a limit, 1.29–1.43 GB with 1GB; the models took about the
 *   same time (within ±1 s of noise);
 * - a 5M-row day: 2.25 GB without a limit; 1.64 GB with 1GB, where its tests spill and take 6.3 s instead of
 *   3.2 s; 1.89 GB with 1536MB (tests 2.9 s). Raise it for such days if memory allows.
 * temp_directory defaults to `<warehouse file>.tmp`.
 */
const duckdbWarehouseSchema = z.object(duckdbSessionShape).strict();

const modelsSchema = z
  .object({
    /** Folder of the dbt-style project; default: the pipeline/ folder shipped with fintech-etl. */
    project: z.string().optional(),
    concurrency: z.number().int().min(1).max(64).default(4),
  })
  .strict();

export const configSchema = z
  .object({
    timezone: timezone.default('Asia/Seoul'),
    reporting_currency: isoCurrency.default('KRW'),
    currencies: z.array(isoCurrency).min(1).default(['KRW', 'USD', 'EUR', 'JPY', 'CNY', 'GBP']),
    /** A folder (relative to home) or `s3://bucket/prefix`. */
    lake: z.string().min(1).default('lake'),
    /** `duckdb://FILE` (relative to home), `postgres://user@host:port/db` or `redshift://user@host:port/db`. */
    warehouse: z
      .string()
      .regex(
        /^(duckdb|postgres|postgresql|redshift):\/\//,
        'must start with duckdb://, postgres:// or redshift://',
      )
      .default('duckdb://warehouse.duckdb'),
    /** Password of the warehouse URL when it holds none (never put it in the URL in a shared file). */
    warehouse_password: secretRefSchema.optional(),
    tokenization: z
      .object({
        key: secretRefSchema.default({ file: 'secrets/tokenization.key' }),
      })
      .strict()
      .default({ key: { file: 'secrets/tokenization.key' } }),
    generator: generatorSchema.default(generatorSchema.parse({})),
    silver: silverSchema.default(silverSchema.parse({})),
    duckdb_warehouse: duckdbWarehouseSchema.default(duckdbWarehouseSchema.parse({})),
    models: modelsSchema.default(modelsSchema.parse({})),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (!config.currencies.includes(config.reporting_currency)) {
      ctx.addIssue({
        code: 'custom',
        path: ['reporting_currency'],
        message: `must be one of the accepted currencies (${config.currencies.join(', ')})`,
      });
    }
  });

export type ConfigFile = z.infer<typeof configSchema>;
