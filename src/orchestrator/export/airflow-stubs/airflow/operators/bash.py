"""A stand-in for BashOperator: records its arguments and the `>>` edges between tasks."""
import airflow


class BashOperator:
    def __init__(self, task_id, bash_command, **settings):
        self.task_id = task_id
        self.bash_command = bash_command
        self.settings = settings
        self.upstream_task_ids = []
        airflow.CURRENT[-1].tasks.append(self)

    def __rshift__(self, other):
        other.upstream_task_ids.append(self.task_id)
        return other
