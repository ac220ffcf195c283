import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# A WSGI server is a public process: every query it runs is bounded (ms) unless
# the environment says otherwise (config/settings/base.py, DB_STATEMENT_TIMEOUT_MS).
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "15000")
application = get_wsgi_application()

# Import every view (and what they import: DRF, GDAL, rasterio) now, in the
# worker's start-up, not in its first request: Django resolves the URLconf
# lazily, which made each worker's first answer take seconds.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns

# Import now what request threads would otherwise import lazily and at once
# (gthread workers): concurrent first imports of redis raised "partially
# initialized module 'redis.connection'" and _DeadlockError in new workers.
from ops.startup import warm_imports  # noqa: E402

warm_imports()
