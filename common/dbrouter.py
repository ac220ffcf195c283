"""Public reads to a streaming read replica (docs/scaling.md, "Read replicas").

With DATABASE_REPLICA_URL set, settings add a "replica" alias and this router.
Code that serves a public read (tracking page, OGC items, open-data exports,
the dashboard) runs inside `public_reads()` (or a view wrapped with
`@public_read`), and the ORM's reads there go to the replica; everything else,
and every write, goes to the primary. Tiles are built on the primary (they are
cached, so builds are a small share of reads), so a tile is never older than a
write that committed before it was built (tests/scaling/test_replica.py).
Without the alias nothing changes.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings

REPLICA = "replica"
_public = ContextVar("kr_public_read", default=False)


@contextmanager
def public_reads():
    token = _public.set(True)
    try:
        yield
    finally:
        _public.reset(token)


def public_read(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        with public_reads():
            return view(*args, **kwargs)

    return wrapped


def read_alias() -> str:
    return REPLICA if _public.get() and REPLICA in settings.DATABASES else "default"


class PublicReadRouter:
    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # a hot standby is read-only: migrations run on the primary
