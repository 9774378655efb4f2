"""A stand-in for pendulum.datetime: a timezone-aware datetime."""
import datetime as _datetime
from zoneinfo import ZoneInfo


def datetime(year, month, day, tz="UTC"):
    return _datetime.datetime(year, month, day, tzinfo=ZoneInfo(tz))
