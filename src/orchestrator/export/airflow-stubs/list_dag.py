"""Imports a generated DAG file against the stubs beside this script and prints its DAG as JSON."""
import importlib.util
import json
import sys

spec = importlib.util.spec_from_file_location("generated_dag", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
dag = module.dag


def seconds(value):
    return None if value is None else value.total_seconds()


print(json.dumps({
    "dag_id": dag.dag_id,
    "schedule": dag.settings.get("schedule"),
    "start_date": dag.settings["start_date"].isoformat(),
    "catchup": dag.settings.get("catchup"),
    "max_active_runs": dag.settings.get("max_active_runs"),
    "tasks": [
        {
            "task_id": task.task_id,
            "bash_command": task.bash_command,
            "retries": task.settings.get("retries"),
            "retry_delay": seconds(task.settings.get("retry_delay")),
            "retry_exponential_backoff": task.settings.get("retry_exponential_backoff"),
            "max_retry_delay": seconds(task.settings.get("max_retry_delay")),
            "execution_timeout": seconds(task.settings.get("execution_timeout")),
            "upstream": sorted(task.upstream_task_ids),
        }
        for task in dag.tasks
    ],
}))
