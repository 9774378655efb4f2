-- The queue executor (src/orchestrator/execution/queue): worker processes and their heartbeats, and whether a
-- failed try may be retried (decided where it ran, read by the process that queues the next try).
create table workers (
  worker_id text primary key,
  pid integer not null,
  host text not null,
  command text not null,
  queue text not null,
  tasks text not null,
  concurrency integer not null,
  state text not null check (state in ('running', 'draining', 'stopped')),
  started_at text not null,
  heartbeat_at text not null,
  stopped_at text
);
create index workers_by_start on workers (started_at);

alter table task_tries add column retryable integer not null default 1 check (retryable in (0, 1));
create index task_tries_running on task_tries (started_at) where state = 'running';
