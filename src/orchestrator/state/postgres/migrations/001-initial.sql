-- The control plane's state (src/orchestrator/state/README.md), in its own schema so it can share a database
-- with the warehouse.
create schema if not exists fintech_state;

create table fintech_state.runs (
  run_id text primary key,
  dag text not null,
  logical_date date not null,
  state text not null check (state in ('queued', 'running', 'success', 'failed')),
  failure_kind text check (failure_kind in ('task', 'killed', 'stopped')),
  error text,
  trigger text not null check (trigger in ('manual', 'backfill', 'scheduler', 'task')),
  conf jsonb not null,
  started_at timestamptz not null,
  finished_at timestamptz,
  heartbeat_at timestamptz not null,
  pid integer not null,
  host text not null,
  command text not null,
  as_of_date date,
  bronze_fingerprints jsonb,
  project_fingerprint jsonb,
  silver_commit integer
);
create index runs_by_date on fintech_state.runs (dag, logical_date, started_at);
create index runs_by_start on fintech_state.runs (started_at);
-- Two processes racing to start the same date: the second insert fails instead of both running it.
create unique index runs_one_unfinished on fintech_state.runs (dag, logical_date)
  where state in ('queued', 'running');

create table fintech_state.task_instances (
  run_id text not null references fintech_state.runs (run_id) on delete cascade,
  task text not null,
  state text not null check (state in ('queued', 'running', 'success', 'failed', 'skipped', 'upstream_failed')),
  try_number integer not null,
  output jsonb,
  reused_from_run text,
  updated_at timestamptz not null,
  primary key (run_id, task)
);

create table fintech_state.task_tries (
  run_id text not null references fintech_state.runs (run_id) on delete cascade,
  task text not null,
  try_number integer not null check (try_number >= 1),
  state text not null check (state in ('queued', 'running', 'success', 'failed')),
  failure_kind text check (failure_kind in ('error', 'timeout', 'killed', 'abandoned')),
  error text,
  started_at timestamptz not null,
  finished_at timestamptz,
  heartbeat_at timestamptz not null,
  pid integer not null,
  host text not null,
  command text not null,
  log_path text not null,
  primary key (run_id, task, try_number)
);

create table fintech_state.leases (
  name text primary key,
  token text not null,
  pid integer not null,
  host text not null,
  command text not null,
  acquired_at timestamptz not null,
  renewed_at timestamptz not null,
  expires_at timestamptz not null
);

create sequence fintech_state.silver_commits as integer;

create table fintech_state.silver_writes (
  commit_number integer not null,
  run_id text not null,
  dataset text not null,
  partition_date date not null,
  written_at timestamptz not null,
  primary key (commit_number, dataset, partition_date)
);
create index silver_writes_by_date on fintech_state.silver_writes (partition_date);
create index silver_writes_by_run on fintech_state.silver_writes (run_id);

create table fintech_state.mart_builds (
  run_id text not null,
  partition_date date not null,
  silver_commit integer not null,
  built_at timestamptz not null,
  primary key (run_id, partition_date)
);
create index mart_builds_by_date on fintech_state.mart_builds (partition_date);
