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
    for name in EAGER_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional backend not installed: nothing to race on
            log.debug("module %s not installed", name)
    from django.core.cache import caches

    caches["default"]  # noqa: B018 - instantiates the backend (and its client class)
    from tiles import cache as tiles_cache

    tiles_cache.store()
    from config.celery import app

    app.loader.import_default_modules()  # task modules, as a worker would
