/**
 * The `fintech-etl.yaml` schema. Every key has a default, so no file at all gives a working embedded setup
 * under `--home`. Unknown keys are refused (a typo must not silently fall back to a default).
 */
import { Cron } from 'croner';
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

/**
 * Where a secret comes from: an environment variable, a file (read at use, never logged), or AWS Secrets Manager
 * (`key` picks one field of a JSON secret).
 */
export const secretRefSchema = z.union(
  [
    z.object({ env: z.string().min(1) }).strict(),
    z.object({ file: z.string().min(1) }).strict(),
    z
      .object({
        aws_secret: z.string().min(1),
        region: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
      })
      .strict(),
  ],
  {
    error: 'must be a secret reference: {env: NAME}, {file: PATH} or {aws_secret: ID, region: R, key: FIELD}',
  },
);
export type SecretRef = z.infer<typeof secretRefSchema>;

/** A byte count: a number, or text like 512MB or 10GiB. */
export const byteSizeSchema = z.union(
  [
    z.number().int().min(0),
    z
      .string()
      .regex(
        /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i,
        'must be a number of bytes or a size like 512MB or 10GB',
      ),
  ],
  {
    error: 'must be a number of bytes or a size like 512MB or 10GB',
  },
);

/**
 * The lake: `lake: <folder or s3://bucket/prefix>` as before, or an object with the location and its settings
 * (`lake: {location: s3://bucket/prefix, retention_hours: 168}`). Both forms give the same parsed shape.
 */
const lakeObjectSchema = z
  .object({
    /** A folder (relative to home) or `s3://bucket/prefix`. */
    location: z.string().min(1).default('lake'),
    /** Superseded objects are deleted by `vacuum` only after this long, so running readers still find them. */
    retention_hours: z.number().min(0).default(168),
    /** Local mirror of remote objects for DuckDB (relative to home); bounded, least recently used out. */
    cache_dir: z.string().min(1).default('cache'),
    cache_max_bytes: byteSizeSchema.default('10GB'),
  })
  .strict();
const lakeSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { location: value } : value),
  lakeObjectSchema,
);

/** How an `s3://` lake is reached and encrypted. Ignored for a local lake. */
const s3Schema = z
  .object({
    /** Default: the SDK's chain (AWS_REGION, the profile, instance metadata). */
    region: z.string().min(1).optional(),
    /** An S3-compatible endpoint (MinIO, a test server); default: AWS. */
    endpoint: z.url().optional(),
    force_path_style: z.boolean().default(false),
    /** Server-side encryption every object written gets. */
    sse: z.enum(['AES256', 'aws:kms']).default('AES256'),
    /** With `sse: aws:kms`: the key (ARN, id or alias); without it S3 uses the account's aws/s3 key. */
    kms_key_id: z.string().min(1).optional(),
    /** `default` = the SDK's credential chain (env, profile, instance/task role); else secret references. */
    credentials: z
      .union(
        [
          z.literal('default'),
          z
            .object({
              access_key_id: secretRefSchema,
              secret_access_key: secretRefSchema,
              session_token: secretRefSchema.optional(),
            })
            .strict(),
        ],
        {
          error:
            "must be 'default' or {access_key_id: <secret>, secret_access_key: <secret>, session_token?: <secret>}",
        },
      )
      .default('default'),
  })
  .strict()
  .superRefine((s3, ctx) => {
    if (s3.kms_key_id && s3.sse !== 'aws:kms')
      ctx.addIssue({ code: 'custom', path: ['kms_key_id'], message: 'is only used with sse: aws:kms' });
  });

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
    /**
     * The daily DAG's silver check (read, parse, contract, tokenize) as this many jobs, over whole bronze files
     * when the day has at least as many, else over interleaved chunks of its records, then one commit job: queue
     * workers run the checks at once. 1: one silver task.
     */
    check_jobs: z.number().int().min(1).max(64).default(1),
    ...duckdbSessionShape,
  })
  .strict();

/**
 * The embedded DuckDB warehouse (`warehouse: duckdb://…`): bounded like silver, so a whole run stays in fixed
 * memory (without a limit DuckDB takes up to 80% of the machine's memory). Very large days spill their model
 * tests at the default; raise it for such days if memory allows (bench/README.md has the peak memory measured).
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

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** A duration in seconds: a number of seconds, or a string such as `90s`, `5m`, `2h`. */
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const durationSeconds = z.union(
  [
    z.number().min(0),
    z
      .string()
      .regex(DURATION)
      .transform((text) => {
        const [, amount, unit] = DURATION.exec(text)!;
        return Number(amount) * DURATION_UNITS[unit!]!;
      }),
  ],
  { error: 'must be seconds ≥ 0 (a number) or a duration such as 30s, 5m or 2h' },
);

/** `orchestrator.tasks.<name>`: overrides of a task's declared retry policy and timeout. */
export const taskOverrideSchema = z
  .object({
    retries: z.number().int().min(0).max(100).optional(),
    retry_delay: durationSeconds.optional(),
    backoff: z.enum(['exponential', 'linear', 'none']).optional(),
    max_retry_delay: durationSeconds.optional(),
    jitter: rate.optional(),
    timeout: durationSeconds.refine((seconds) => seconds > 0, 'must be more than 0 seconds').optional(),
  })
  .strict();
export type TaskOverride = z.infer<typeof taskOverrideSchema>;

const orchestratorSchema = z
  .object({
    /** Per-task overrides, by task name; a name the DAG does not have is refused when the DAG is loaded. */
    tasks: z.record(z.string(), taskOverrideSchema).default({}),
    /** How often a running try (and the run, and the writer lease) records that its process is alive. */
    heartbeat_interval: durationSeconds
      .refine((seconds) => seconds > 0, 'must be more than 0 seconds')
      .default(10),
    /** A running try whose heartbeat is older than this is dead (its process was killed or its machine lost). */
    heartbeat_timeout: durationSeconds
      .refine((seconds) => seconds > 0, 'must be more than 0 seconds')
      .default(120),
  })
  .strict()
  .superRefine((orchestrator, ctx) => {
    if (orchestrator.heartbeat_timeout <= orchestrator.heartbeat_interval * 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['heartbeat_timeout'],
        message:
          'must be more than twice heartbeat_interval (a slow heartbeat must not look like a dead process)',
      });
    }
  });

const cronExpression = z.string().refine((pattern) => {
  try {
    new Cron(pattern, { paused: true });
    return true;
  } catch {
    return false;
  }
}, 'is not a cron expression (for example "0 6 * * *": 06:00 every day)');

const schedulerSchema = z
  .object({
    /** When runs start; each tick runs the logical date whose interval the tick closes (src/orchestrator/scheduler). */
    schedule: cronExpression.default('0 6 * * *'),
    /** Time zone of the schedule; default: the top-level `timezone`. */
    timezone: timezone.optional(),
    /** The first logical date the scheduler runs; without it, catch-up starts after the last success. */
    start_date: isoDate.optional(),
    /** Run every missed logical date in order (true), or only the latest due one (false). */
    catchup: z.boolean().default(true),
    max_active_runs: z.number().int().min(1).max(64).default(1),
  })
  .strict();

const alertSchema = z
  .object({
    /** The webhook URL (Slack-compatible), as a secret reference or, where it holds no secret, as a URL. */
    webhook: z.union([
      z.string().regex(/^https?:\/\//, 'must be an http(s) URL or a secret reference'),
      secretRefSchema,
    ]),
    on: z
      .array(z.enum(['failure', 'recovery', 'retry']))
      .min(1)
      .default(['failure']),
  })
  .strict();
export type AlertConfig = z.infer<typeof alertSchema>;

/**
 * `fintech-etl serve`: where the web app listens. Any address but a loopback one needs `token` (the operator's
 * secret, sent as a bearer header or through the login form): the pages would otherwise be open to the network.
 */
const serveSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    token: secretRefSchema.optional(),
  })
  .strict();

/**
 * How tasks run: `local` (in the process of `run`, `backfill`, `scheduler`) or `queue` (each task try is a BullMQ
 * job on Redis, taken by `fintech-etl worker` processes on any machine; the state store stays the truth).
 */
const executorSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('local') }).strict(),
    z
      .object({
        kind: z.literal('queue'),
        redis: z.string().regex(/^rediss?:\/\/[^/]/, 'must be a redis:// or rediss:// URL'),
        /** Password of the Redis URL when it holds none. */
        redis_password: secretRefSchema.optional(),
        /** Names the BullMQ queues (one per DAG task, `<queue>.<dag>.<task>`): two deployments on one Redis differ. */
        queue: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -')
          .default('fintech-etl'),
        /** With a local lake: every worker mounts this same folder at the same path (NFS, EFS). */
        shared_lake: z.boolean().default(false),
      })
      .strict(),
  ],
  { error: 'must be {kind: local} or {kind: queue, redis: redis://host:6379, queue: NAME}' },
);
export type ExecutorConfig = z.infer<typeof executorSchema>;

const qualitySchema = z
  .object({
    /** Folder of the expectation suites (relative to home); default: `suites/` of the model project. */
    suites: z.string().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    timezone: timezone.default('Asia/Seoul'),
    reporting_currency: isoCurrency.default('KRW'),
    currencies: z.array(isoCurrency).min(1).default(['KRW', 'USD', 'EUR', 'JPY', 'CNY', 'GBP']),
    lake: lakeSchema.default(lakeObjectSchema.parse({})),
    s3: s3Schema.default(s3Schema.parse({})),
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
    /** The control plane's state: a SQLite file (relative to home) or `postgres://user@host:port/db`. */
    state: z.string().min(1).default('state.db'),
    /** Password of the state URL when it holds none. */
    state_password: secretRefSchema.optional(),
    orchestrator: orchestratorSchema.default(orchestratorSchema.parse({})),
    executor: executorSchema.default({ kind: 'local' }),
    scheduler: schedulerSchema.default(schedulerSchema.parse({})),
    alerts: z.array(alertSchema).default([]),
    serve: serveSchema.default(serveSchema.parse({})),
    quality: qualitySchema.default(qualitySchema.parse({})),
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
