"""Work a server process does once at start-up, before it serves requests."""
import importlib
import logging

log = logging.getLogger(__name__)

# Modules request threads would otherwise import lazily (the cache backend on
# first use, the Celery broker transport on first publish, the tile store).
EAGER_MODULES = ("redis", "redis.connection", "redis.client", "redis.exceptions", "django_redis.cache",
                 "django_redis.client.default", "django_redis.pool", "django_redis.serializers.pickle",
                 "django_redis.compressors.identity", "kombu.transport.redis", "celery.app.amqp")


def warm_imports() -> None:
    """Import the lazily imported modules, build the cache backend and the
    tile store: in the process' one thread, before any request thread."""
    for name in EAGER_MODULES:  # all in requirements.txt
        importlib.import_module(name)
    from django.core.cache import caches

    caches["default"]  # noqa: B018 - instantiates the backend (and its client class)
    from tiles import cache as tiles_cache

    tiles_cache.store()
    from celery import current_app as app  # the project's app (config.celery, loaded with Django)

    app.loader.import_default_modules()  # task modules, as a worker would


def database_problem() -> str | None:
    """Why the configured database cannot serve this project, or None: it
    answers, the database exists and has PostGIS. Never shows the password."""
    from django.conf import settings
    from django.db import DatabaseError, connection

    db = settings.DATABASES["default"]
    where = f"{db.get('USER') or '?'}@{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db.get('NAME')}"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            row = cursor.fetchone()
    except DatabaseError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        password = db.get("PASSWORD")
        if password:
            reason = reason.replace(password, "***")
        return f"cannot use the database {where} (DATABASE_URL): {reason}"
    finally:
        connection.close()
    if row is None:
        return f"the database {where} (DATABASE_URL) has no PostGIS extension: run `CREATE EXTENSION postgis;`"
    return None


def check_database_or_exit() -> None:
    """For a server's master process at start: refuse to start (exit 3)
    with one clear line on stderr when the database cannot serve."""
    import os
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    try:
        import django

        django.setup()
        problem = database_problem()
    except Exception as exc:  # noqa: BLE001 - a settings error (malformed URL) is reported the same way
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        sys.stderr.write(f"kubu-raya: refusing to start: {problem}\n")
        sys.stderr.flush()
        raise SystemExit(3)
