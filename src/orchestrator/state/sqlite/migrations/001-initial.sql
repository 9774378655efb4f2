-- The control plane's state (src/orchestrator/state/README.md). Times are ISO-8601 UTC strings, which sort
-- as they compare; JSON columns hold text.
create table runs (
  run_id text primary key,
  dag text not null,
  logical_date text not null,
  state text not null check (state in ('queued', 'running', 'success', 'failed')),
  failure_kind text check (failure_kind in ('task', 'killed', 'stopped')),
  error text,
  trigger text not null check (trigger in ('manual', 'backfill', 'scheduler', 'task')),
  conf text not null,
  started_at text not null,
  finished_at text,
  heartbeat_at text not null,
  pid integer not null,
  host text not null,
  command text not null,
  as_of_date text,
  bronze_fingerprints text,
  project_fingerprint text,
  silver_commit integer
);
create index runs_by_date on runs (dag, logical_date, started_at);
create index runs_by_start on runs (started_at);
-- Two processes racing to start the same date: the second insert fails instead of both running it.
create unique index runs_one_unfinished on runs (dag, logical_date) where state in ('queued', 'running');

create table task_instances (
  run_id text not null references runs (run_id) on delete cascade,
  task text not null,
  state text not null check (state in ('queued', 'running', 'success', 'failed', 'skipped', 'upstream_failed')),
  try_number integer not null,
  output text,
  reused_from_run text,
  updated_at text not null,
  primary key (run_id, task)
);

create table task_tries (
  run_id text not null references runs (run_id) on delete cascade,
  task text not null,
  try_number integer not null check (try_number >= 1),
  state text not null check (state in ('queued', 'running', 'success', 'failed')),
  failure_kind text check (failure_kind in ('error', 'timeout', 'killed', 'abandoned')),
  error text,
  started_at text not null,
  finished_at text,
  heartbeat_at text not null,
  pid integer not null,
  host text not null,
  command text not null,
  log_path text not null,
  primary key (run_id, task, try_number)
);

create table leases (
  name text primary key,
  token text not null,
  pid integer not null,
  host text not null,
  command text not null,
  acquired_at text not null,
  renewed_at text not null,
  expires_at text not null
);

create table silver_writes (
  commit_number integer not null,
  run_id text not null,
  dataset text not null,
  partition_date text not null,
  written_at text not null,
  primary key (commit_number, dataset, partition_date)
);
create index silver_writes_by_date on silver_writes (partition_date);
create index silver_writes_by_run on silver_writes (run_id);

create table mart_builds (
  run_id text not null,
  partition_date text not null,
  silver_commit integer not null,
  built_at text not null,
  primary key (run_id, partition_date)
);
create index mart_builds_by_date on mart_builds (partition_date);
