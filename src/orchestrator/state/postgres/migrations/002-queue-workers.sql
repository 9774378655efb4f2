-- The queue executor (src/orchestrator/execution/queue): worker processes and their heartbeats, and whether a
-- failed try may be retried (decided where it ran, read by the process that queues the next try).
create table fintech_state.workers (
  worker_id text primary key,
  pid integer not null,
  host text not null,
  command text not null,
  queue text not null,
  tasks jsonb not null,
  concurrency integer not null,
  state text not null check (state in ('running', 'draining', 'stopped')),
  started_at timestamptz not null,
  heartbeat_at timestamptz not null,
  stopped_at timestamptz
);
create index workers_by_start on fintech_state.workers (started_at);

alter table fintech_state.task_tries add column retryable boolean not null default true;
create index task_tries_running on fintech_state.task_tries (started_at) where state = 'running';
