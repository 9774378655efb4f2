"""A stand-in for Airflow's DAG: a context manager that collects the operators created inside it."""

CURRENT = []


class DAG:
    def __init__(self, dag_id, **settings):
        self.dag_id = dag_id
        self.settings = settings
        self.tasks = []

    def __enter__(self):
        CURRENT.append(self)
        return self

    def __exit__(self, *exc):
        CURRENT.pop()
        return False
