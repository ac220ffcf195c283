"""Instants a client sends, made safe to store and compare."""
import datetime


def to_utc(moment: datetime.datetime) -> datetime.datetime:
    """An aware datetime in UTC. Python accepts UTC offsets up to +-23:59 and
    PostgreSQL only up to +-15:59, so an instant is converted before it is
    stored or compared (the fuzzer's "+18:44" was a 500). Raises ValueError for
    an instant that falls outside the years 1-9999 in UTC."""
    try:
        return moment.astimezone(datetime.timezone.utc)
    except OverflowError as error:
        raise ValueError(str(error)) from None
