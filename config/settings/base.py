"""Settings shared by every environment; read from the environment (12-factor).

Environment variables (documented in docs/configuration.md):
  DATABASE_URL   postgis://user:pass@host:port/name. When unset, the URL that
                 scripts/db.sh wrote to .state/database_url is used.
  KR_DATA_DIR    directory with the Kubu Raya boundary files (../shared/data).
  SECRET_KEY, DEBUG, ALLOWED_HOSTS, REDIS_URL (optional), MEDIA_ROOT.
"""
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STATE_DIR = BASE_DIR / ".state"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None


def _default_database_url() -> str:
    state_file = STATE_DIR / "database_url"
    if state_file.exists():
        return state_file.read_text().strip()
    return "postgis://127.0.0.1:5432/kubu_raya"


SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # `runserver` (make serve / make demo) leaves /static/ to WhiteNoise: the
    # minified, brotli/gzip copies that collectstatic wrote (common.staticfiles)
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "common.outbox",
    "accounts",
    "geo",
    "reports",
    "businesses",
    "layers",
    "tiles",
    "portal",
    "offline",
    "ppid",
    "datasets",
    "announcements",
    "ops",
    "messaging",
    "residents",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # compresses what the views answer (common.compression: honours q=0);
    # 304s for views that set an ETag (the dashboard) come from ConditionalGet
    "common.compression.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# CORS (django-cors-headers): web maps and apps on other origins read the
# machine interfaces (OGC API, Open311, tiles, /api/). Any origin, never with
# credentials (a cookie never rides a cross-origin request: Access-Control-
# Allow-Origin is "*"); preflight allows reading only (Open311's form POST is
# a simple request and needs none).
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/(api|ogc|open311|tiles)/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Content-Length", "Content-Range", "Accept-Ranges", "Retry-After"]
CORS_PREFLIGHT_MAX_AGE = 86400

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

def _database_config(url: str) -> dict:
    """DATABASE_URL parsed; a URL that is not postgres(ql)/postgis://... with a
    database name stops the process with a message that never shows the URL
    (django-environ's warning printed it, password included)."""
    import warnings
    from urllib.parse import urlsplit

    from django.core.exceptions import ImproperlyConfigured

    problem = None
    try:
        parts = urlsplit(url)
        scheme, name = parts.scheme, parts.path.lstrip("/")
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        scheme, name, problem = "", "", "it cannot be parsed"
    if problem is None and scheme not in ("postgres", "postgresql", "postgis", "pgsql"):
        problem = "its scheme must be postgis:// or postgres://"
    elif problem is None and not name:
        problem = "it names no database"
    if problem:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {problem}. Expected "
                                   "postgis://USER:PASSWORD@HOST:PORT/NAME (the value is not shown).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return environ.Env.db_url_config(url)


DATABASES = {"default": _database_config(env("DATABASE_URL", default=_default_database_url()))}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Public reads on a streaming replica (common.dbrouter; docs/scaling.md): only when set.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].update(ENGINE="django.contrib.gis.db.backends.postgis", CONN_MAX_AGE=60,
                                CONN_HEALTH_CHECKS=True, TEST={"MIRROR": "default"})
DATABASE_ROUTERS = ["common.dbrouter.PublicReadRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Bahasa Indonesia first, English second. Times are stored in UTC and shown in
# Asia/Pontianak (WIB, UTC+7).
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language ("7 Des 2026", "7 Dec 2026"): config/formats.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Pontianak"
USE_I18N = True
USE_TZ = True

# Media: a failed write (full disk) leaves no partial file (common.files.MediaStorage).
STORAGES = {
    "default": {"BACKEND": "common.files.MediaStorage"},
    # collectstatic writes the project's own JS/CSS minified, with .br and .gz copies beside every file
    "staticfiles": {"BACKEND": "common.staticfiles.MinifiedCompressedStaticFilesStorage"},
}
# Source maps (7.6 MB: MapLibre's, Swagger UI's, ReDoc's) are read by a developer's devtools only:
# not worth compressing at brotli's best quality in every collectstatic.
from whitenoise.compress import Compressor as _Compressor  # noqa: E402

WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*_Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))

REDIS_URL = env("REDIS_URL", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "common.openapi.ProjectAutoSchema",
    "EXCEPTION_HANDLER": "common.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Kubu Raya Smart City API",
    "DESCRIPTION": (
        "RT Online, UMKM Online and the open data of Kabupaten Kubu Raya. "
        "Boundary data: cahyadsn/wilayah_boundaries and cahyadsn/wilayah, MIT License."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the project's static files (drf-spectacular-sidecar), not a CDN: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- App settings, with their defaults in one place -------------------------
# Directory holding the Kubu Raya boundary files and code list.
KR_DATA_DIR = Path(env("KR_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data"))).resolve()
# The deployment's own regency (kabupaten/kota code): the default tenant of every
# regency-owned row (common.regency); other regencies come from geo_load_kalbar.
KR_REGENCY_CODE = env("KR_REGENCY_CODE", default="61.12")
# The database is a Citus coordinator with the tables distributed (`manage.py
# citus_distribute`; set by the Citus scripts): row locks name the row's regency
# (common.regency.routed) and statements get custom plans (DB_PLAN_CACHE_MODE).
KR_CITUS = env.bool("KR_CITUS", default=False)
# Every geometry is stored in EPSG:4326 (lon, lat).
GEO_STORAGE_SRID = 4326
# A point in the sea or a river this close to a desa resolves to it, flagged
# approximate (metres).
GEO_NEAREST_TOLERANCE_M = env.int("GEO_NEAREST_TOLERANCE_M", default=500)
# Max vertices per subdivided part used for point lookup (ST_Subdivide).
GEO_SUBDIVIDE_MAX_VERTICES = 64
# Tolerance (degrees of EPSG:4326) of the simplified display geometry, ~55 m
# (the source is already generalised at ~11 m, so less removes nothing).
GEO_SIMPLIFY_TOLERANCE = 0.0005

# --- Portal (issue 7) ---------------------------------------------------------
# Basemap tile URL template for /peta/ and the report form (OpenStreetMap by
# default). Every overlay is served by this project, so the map still shows
# boundaries, reports and businesses when the basemap cannot be reached.
PORTAL_BASEMAP_URL = env("PORTAL_BASEMAP_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
PORTAL_BASEMAP_ATTRIBUTION = env(
    "PORTAL_BASEMAP_ATTRIBUTION", default="&copy; OpenStreetMap contributors (ODbL)")
# The crew's offline basemap (issue 22, docs/offline.md): vector tiles of the
# OpenMapTiles schema ({z}/{x}/{y} of MVT, e.g. a planetiler extract served by
# nginx), taken with the desa boundaries' own tiles. Empty: boundaries only.
OFFLINE_BASEMAP_URL = env("OFFLINE_BASEMAP_URL", default="")
OFFLINE_BASEMAP_ATTRIBUTION = env(
    "OFFLINE_BASEMAP_ATTRIBUTION", default="&copy; OpenMapTiles &copy; OpenStreetMap contributors (ODbL)")
# At this zoom and above /peta/ draws report points from the vector tiles;
# below it, counts per desa (never all features).
PORTAL_POINTS_MIN_ZOOM = 12
# The dashboard's figures (/dasbor/, /peta/jumlah.json, unfiltered
# /api/v1/reports/counts/) are computed ahead (portal.services): Celery beat
# refreshes them every this many seconds, and a read finding them older than
# that starts a refresh and is answered with the stored figures.
PORTAL_FIGURES_MAX_AGE_SECONDS = env.int("PORTAL_FIGURES_MAX_AGE_SECONDS", default=300)
# Without a broker a stale read refreshes in a background thread of the web
# process; True refreshes inline in that request instead.
PORTAL_FIGURES_REFRESH_INLINE = env.bool("PORTAL_FIGURES_REFRESH_INLINE", default=False)
# The refresh is one scan of every report; it is not a web request's query.
PORTAL_FIGURES_STATEMENT_TIMEOUT_S = env.int("PORTAL_FIGURES_STATEMENT_TIMEOUT_S", default=600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Debian 12 ships GDAL 3.6, which cannot block file/network access from a
# spatial reference. No endpoint accepts a user-supplied spatial reference:
# inputs are EPSG:4326 coordinates or GeoJSON, checked before GDAL sees them.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Reports (RT Online) ------------------------------------------------------
# Photos: largest upload accepted, largest decoded size (decompression-bomb
# guard, pixels), longest side kept after re-encoding (pixels).
REPORTS_PHOTO_MAX_BYTES = env.int("REPORTS_PHOTO_MAX_BYTES", default=8 * 2**20)
REPORTS_PHOTO_MAX_PIXELS = 40_000_000
REPORTS_PHOTO_MAX_SIDE = 2560
# Base URL used in notification links (the e-mail carries only this link for
# restricted reports).
# Messages to people (messaging.gateways): SMS/WhatsApp through the local
# simulator unless a real gateway class is named (e.g. messaging.gateways.HttpGateway).
MESSAGING_GATEWAYS = {
    "sms": env("MESSAGING_SMS_GATEWAY", default="messaging.gateways.SimulatorGateway"),
    "whatsapp": env("MESSAGING_WHATSAPP_GATEWAY", default="messaging.gateways.SimulatorGateway"),
}
MESSAGING_HTTP_URL = env("MESSAGING_HTTP_URL", default="")
MESSAGING_HTTP_TOKEN = env("MESSAGING_HTTP_TOKEN", default="")

REPORTS_PUBLIC_BASE_URL = env("REPORTS_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Notification retries (in-process; Celery takes over later) and webhook timeout (s).
REPORTS_NOTIFY_ATTEMPTS = 3
REPORTS_WEBHOOK_TIMEOUT = 5
# Days after resolution during which the reporter may dispute it.
REPORTS_DISPUTE_DAYS = 14
# Batches of a bulk import (reports.bulk) loading at once, each on its own
# database connection; 1 loads them one after another.
REPORTS_IMPORT_WORKERS = env.int("REPORTS_IMPORT_WORKERS", default=2)
# --- Layers (OGC API - Features, exports, planners' queries; issue 5) -------
# Default and maximum `limit` of an OGC API items page (pygeoapi `limits`).
LAYERS_DEFAULT_ITEMS = env.int("LAYERS_DEFAULT_ITEMS", default=10)
LAYERS_MAX_ITEMS = env.int("LAYERS_MAX_ITEMS", default=10000)
# Statement timeout of public and planner queries, and of full exports (ms).
LAYERS_STATEMENT_TIMEOUT_MS = env.int("LAYERS_STATEMENT_TIMEOUT_MS", default=5000)
# numberMatched of a large layer (reports, businesses, report-counts) is
# counted on the first page, in the page's statement, up to this many
# matches; more: left out (OGC allows it).
LAYERS_COUNT_EXACT_MAX = env.int("LAYERS_COUNT_EXACT_MAX", default=10000)
LAYERS_EXPORT_TIMEOUT_MS = env.int("LAYERS_EXPORT_TIMEOUT_MS", default=600000)
# Rows per batch read from the server-side cursor of an export.
LAYERS_EXPORT_BATCH_SIZE = env.int("LAYERS_EXPORT_BATCH_SIZE", default=2000)
# The precomputed report counts are rebuilt at most this often after a
# report changed (seconds), and at least daily.
LAYERS_REPORT_COUNTS_MIN_INTERVAL_S = env.int("LAYERS_REPORT_COUNTS_MIN_INTERVAL_S", default=60)
# Rebuild the report-counts cells inside the reading request (else in a
# background thread while the request reads the previous cells).
LAYERS_REPORT_COUNTS_REFRESH_INLINE = env.bool("LAYERS_REPORT_COUNTS_REFRESH_INLINE", default=False)
# Statement timeout of planners' queries (ms): they scan all reports.
LAYERS_PLANNER_TIMEOUT_MS = env.int("LAYERS_PLANNER_TIMEOUT_MS", default=15000)
# Planners' queries: largest posted geometry (vertices), buffer (metres),
# result (features), DBSCAN radius (metres) and minimum cluster size.
LAYERS_PLANNER_MAX_VERTICES = env.int("LAYERS_PLANNER_MAX_VERTICES", default=5000)
LAYERS_PLANNER_MAX_BUFFER_M = env.int("LAYERS_PLANNER_MAX_BUFFER_M", default=5000)
LAYERS_PLANNER_MAX_RESULTS = env.int("LAYERS_PLANNER_MAX_RESULTS", default=5000)
LAYERS_PLANNER_MAX_EPS_M = env.int("LAYERS_PLANNER_MAX_EPS_M", default=2000)
# --- Tiles (tiles app) -----------------------------------------------------------
# Server-side tile cache: Redis (defaults to REDIS_URL); empty: no cache
# (every tile built from PostGIS).
TILES_REDIS_URL = env("TILES_REDIS_URL", default=REDIS_URL)
TILES_CACHE_PREFIX = env("TILES_CACHE_PREFIX", default="kr:tiles:")
# Edge mirror: unfiltered vector tiles also written as gzip files under this
# folder for nginx to serve without Django (deploy/nginx/kubu-raya-tiles.conf).
# Empty: off. Must be the `root` of that nginx snippet.
TILES_EDGE_DIR = env("TILES_EDGE_DIR", default="")
# Seconds a cached tile is kept without being asked for (correctness does not
# depend on it: invalidation is explicit).
TILES_CACHE_TTL = env.int("TILES_CACHE_TTL", default=7 * 24 * 3600)
# The tile cache is optional at runtime: a Redis call gives up after this many
# seconds, and after a failure the store is skipped (tiles built from PostGIS,
# not kept) for TILES_CACHE_RETRY_SECONDS before it is tried again.
TILES_REDIS_TIMEOUT = env.float("TILES_REDIS_TIMEOUT", default=0.5)
TILES_CACHE_RETRY_SECONDS = env.float("TILES_CACHE_RETRY_SECONDS", default=2.0)
# A cache hit checks the cache epoch (PostgreSQL) read by this process less
# than this many seconds ago; whoever advances it waits as long before
# answering (tiles.cache.cache_epoch). 0: read at every lookup.
TILES_CACHE_EPOCH_REUSE_SECONDS = env.float("TILES_CACHE_EPOCH_REUSE_SECONDS", default=1.0)
# Seconds an invalidation marker lives; longer than any tile build.
TILES_MARKER_TTL = 3600
# Browsers revalidate every tile (a 304 costs one cache lookup), so a map never
# shows a tile older than the data.
TILES_CACHE_CONTROL = env("TILES_CACHE_CONTROL", default="public, max-age=0, must-revalidate")
TILES_MAX_ZOOM = 20
TILES_EXTENT = 4096
# 128 of 4096 = 8 px at 256 px: a report circle (6 px + 1.5 px stroke) near an edge is in both tiles (issue 19)
TILES_BUFFER = 128
# Safety cap on features in one tile of one layer (exact geometries only;
# low zooms of point layers are clusters, so the cap is not reached there).
TILES_MAX_FEATURES = env.int("TILES_MAX_FEATURES", default=50000)
TILES_MAX_COMPOSITE = 6
# Point layers are clusters below this zoom (prior-art.md: z12 of 1M points
# is ~120 ms live; from precomputed cells it is ~10 ms).
TILES_POINTS_MIN_ZOOM = 13
# Cluster grid: cells per tile side (256 of 4096 units, 16 px of a 256-px tile).
TILES_CELLS_PER_TILE = 16
TILES_REPORTS_LAYER = "reports"
TILES_RASTER_MAX_ZOOM = 18
# Registered rasters (COGs) and the density surfaces live here.
TILES_RASTER_DIR = Path(env("TILES_RASTER_DIR", default=str(BASE_DIR / "media" / "rasters")))

# --- Operations (issue 9): background jobs, limits, throttles, logs ----------
# Celery: a broker when CELERY_BROKER_URL or REDIS_URL is set (Redis on
# 127.0.0.1:6379 or RabbitMQ amqp://guest@127.0.0.1:5672// here and on CI);
# otherwise every task runs inline so a single machine needs no worker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, and put back if its worker dies: every
# task is idempotent (common.jobs.job_once or its own keys), so running twice is safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=1800)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up quickly when the broker is down; common.jobs then runs the task inline.
# socket_timeout: a frozen broker (accepting connections, answering nothing) fails too.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                   "interval_max": 0.5, "socket_connect_timeout": 2,
                                   "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=2.0),
                                   # Redis: a task a killed worker held (acks_late) goes to another
                                   # worker after this many seconds (kombu's default: 3,600); tasks are
                                   # idempotent, so one running past it and run again does no harm.
                                   "visibility_timeout": env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=300)}
# After a publish fails, common.jobs runs tasks inline for this many seconds
# without asking the broker again (instead of every request waiting on it).
JOBS_BROKER_RETRY_SECONDS = env.float("JOBS_BROKER_RETRY_SECONDS", default=5.0)
CELERY_TIMEZONE = TIME_ZONE
# Management commands a job may run (ops.tasks.command_run); absent ones are skipped.
OPS_JOB_COMMANDS = ["reports_notify_retry", "tiles_density_refresh", "datasets_refresh_due",
                    "ppid_send_reminders", "businesses_import", "geo_import_areas", "layers_refresh_counts", "tiles_cells_compact",
                    "reports_points_reorder"]
CELERY_BEAT_SCHEDULE = {
    # Announcements deferred by quiet hours or a failed attempt.
    "announcements-deliver": {"task": "announcements.deliver", "schedule": 60.0},
    # Liveness of broker + beat + worker, end to end (/readyz reads its age).
    "worker-heartbeat": {"task": "ops.heartbeat", "schedule": float(env.int("OPS_HEARTBEAT_SECONDS", default=15))},
    # Transactional outbox (common.outbox): whatever a lost kick, a dead worker
    # or a failed attempt left pending is delivered by this sweep.
    "outbox-sweep": {"task": "outbox.sweep", "schedule": float(env.int("OUTBOX_SWEEP_SECONDS", default=30))},
    "notifications-retry": {"task": "ops.command_run", "schedule": 600.0, "args": ["reports_notify_retry"]},
    "density-refresh": {"task": "ops.command_run", "schedule": 900.0, "args": ["tiles_density_refresh"]},
    # Report counts (and their tiles) follow reports within a few minutes and
    # move to a new month on the 1st (WIB), even when no map is being read.
    "report-counts-refresh": {"task": "ops.command_run", "schedule": 300.0,
                              "args": ["layers_refresh_counts", "--if-due"]},
    # Hourly, yet each reminder goes out once (recorded per deadline and day);
    # the commands of the same names are dry runs unless given --commit.
    # Report cells are appended by every write (tiles.aggregates); folding
    # them keeps low-zoom tiles reading about one row per cell.
    "tiles-cells-compact": {"task": "ops.command_run", "schedule": 300.0, "args": ["tiles_cells_compact"]},
    # The narrow copy of public report points back in spatial order (reports.points_order):
    # reads wait ~0.2 s for the swap, report writes ~1 s; nightly, 02:30 in CELERY_TIMEZONE.
    "reports-points-reorder": {"task": "ops.command_run", "schedule": crontab(hour=2, minute=30),
                               "args": ["reports_points_reorder"]},
    "datasets-refresh-reminders": {"task": "datasets.refresh_reminders", "schedule": 3600.0},
    "ppid-reminders": {"task": "ppid.send_reminders", "schedule": 3600.0},
    "deadline-reminders": {"task": "ops.reports_deadline_reminders", "schedule": 3600.0},
    "dashboard-refresh": {"task": "portal.dashboard_refresh", "schedule": float(PORTAL_FIGURES_MAX_AGE_SECONDS)},
}
# Outbox retries: 10 s after the first failure, doubling, at most an hour apart (never dropped).
OUTBOX_BACKOFF_SECONDS = env.int("OUTBOX_BACKOFF_SECONDS", default=10)
OUTBOX_BACKOFF_MAX_SECONDS = env.int("OUTBOX_BACKOFF_MAX_SECONDS", default=3600)
OUTBOX_SWEEP_LIMIT = env.int("OUTBOX_SWEEP_LIMIT", default=1000)
# Deadline reminders: agencies get one digest a day listing reports due within
# this many working days or already overdue.
OPS_REMINDER_WORKING_DAYS = env.int("OPS_REMINDER_WORKING_DAYS", default=1)
# Where background exports are written (atomically: temp file, then rename).
OPS_EXPORT_DIR = env.path("OPS_EXPORT_DIR", default=str(BASE_DIR / ".state" / "exports"))
# /readyz: a worker heartbeat older than this, an outbox message waiting longer
# than this, or less free space than this under MEDIA_ROOT is reported as an error.
OPS_READY_HEARTBEAT_MAX_AGE = env.int("OPS_READY_HEARTBEAT_MAX_AGE", default=90)
OPS_READY_OUTBOX_MAX_AGE = env.int("OPS_READY_OUTBOX_MAX_AGE", default=300)
OPS_READY_MEDIA_MIN_FREE_BYTES = env.int("OPS_READY_MEDIA_MIN_FREE_BYTES", default=200 * 2**20)
# Load shedding (ops.middleware.LoadSheddingMiddleware): a request that waited
# longer than this (ms) behind nginx is answered 503 overloaded at once; 0 = off.
OPS_SHED_QUEUE_MS = env.int("OPS_SHED_QUEUE_MS", default=2000)
# Seconds a client is told to wait (Retry-After) when the database is away.
OPS_RETRY_AFTER_SECONDS = env.int("OPS_RETRY_AFTER_SECONDS", default=5)
# Fail fast when PostgreSQL is unreachable (seconds), instead of hanging a worker.
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=3)
# statement_timeout (ms) on every connection of the process; 0 = none. The
# public processes (gunicorn via deploy/gunicorn.conf.py, production settings)
# run with 15 s; management commands and bulk loads run without one.
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=0)
# How PostgreSQL plans the statements the project prepares (common.db: the
# point lookup, a submission's category, routing and duplicate check,
# point-layer tiles; Django's own statements are not prepared): one generic
# plan per statement and connection. With `auto` PostgreSQL kept planning the
# lookup for every point (its custom plans looked cheaper), 0.8 ms a lookup
# instead of 0.3 ms. `auto` restores PostgreSQL's default.
# On Citus custom plans: Citus routes a statement to its shard by its parameters' values.
DB_PLAN_CACHE_MODE = env("DB_PLAN_CACHE_MODE", default="force_custom_plan" if KR_CITUS else "force_generic_plan")


def db_connection_options(statement_timeout_ms: int) -> str:
    """The server settings every connection starts with (libpq `options`)."""
    options = [f"-c plan_cache_mode={DB_PLAN_CACHE_MODE}"]
    if statement_timeout_ms:
        options += [f"-c statement_timeout={statement_timeout_ms}", "-c idle_in_transaction_session_timeout=60000"]
    return " ".join(options)


DATABASES["default"]["OPTIONS"]["options"] = db_connection_options(DB_STATEMENT_TIMEOUT_MS)
# /metrics answers these networks (and a bearer token when OPS_METRICS_TOKEN is set).
OPS_METRICS_ALLOWED_NETWORKS = env.list("OPS_METRICS_ALLOWED_NETWORKS",
                                        default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
                                                 "192.168.0.0/16"])
OPS_METRICS_TOKEN = env("OPS_METRICS_TOKEN", default="")
MIDDLEWARE.insert(0, "ops.middleware.LoadSheddingMiddleware")
MIDDLEWARE.insert(0, "ops.middleware.DatabaseUnavailableMiddleware")
MIDDLEWARE.insert(0, "ops.middleware.RequestContextMiddleware")
# Request bodies: 10 MiB in memory at most (photos are streamed to disk above
# 2.5 MiB); nginx refuses anything above client_max_body_size (deploy/nginx).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 2**20)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_PERMISSIONS = 0o640
# API rate limits (DRF throttles), per user and per client IP; anonymous report
# submission is the scope most worth limiting (throttle_scope = "report_submit").
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "rest_framework.throttling.AnonRateThrottle",
    "rest_framework.throttling.UserRateThrottle",
    "rest_framework.throttling.ScopedRateThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": env("THROTTLE_ANON", default="600/min"),
    "user": env("THROTTLE_USER", default="1200/min"),
    "report_submit": env("THROTTLE_REPORT_SUBMIT", default="20/hour"),
    "login": env("THROTTLE_LOGIN", default="10/min"),
}
# Proxies in front of gunicorn whose X-Forwarded-For is believed (DRF throttles
# key on the client address); 1 = nginx on the same host.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", default=0)
# Throttle counters and login attempts live in the cache: Redis when REDIS_URL
# is set (shared by every worker), process memory otherwise.
CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL,
                      "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1, "IGNORE_EXCEPTIONS": True}}
          } if REDIS_URL else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Login throttling (accounts.backends-independent): failed logins per username
# and per IP within the window before the login is refused with 429.
OPS_LOGIN_MAX_FAILURES = env.int("OPS_LOGIN_MAX_FAILURES", default=5)
OPS_LOGIN_WINDOW_SECONDS = env.int("OPS_LOGIN_WINDOW_SECONDS", default=900)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "ops.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": env("LOG_FORMAT", default="json")}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # One access line per request from ops.middleware; Django's own would repeat it.
    "loggers": {"django.server": {"level": "WARNING"}, "django.request": {"level": "ERROR"}, "kr.request": {"level": env("ACCESS_LOG_LEVEL", default="INFO")}},
}
AUTHENTICATION_BACKENDS = ["ops.auth.ThrottledModelBackend"]

# --- Announcements (pengumuman, CAP, subscriptions) --------------------------
ANNOUNCEMENTS_MAX_VERTICES = env.int("ANNOUNCEMENTS_MAX_VERTICES", default=2000)
# Share of a drawn area allowed outside the regency (sea at a river mouth).
ANNOUNCEMENTS_OUTSIDE_TOLERANCE = 0.05
# A desa counts as reached when the area overlaps it by at least this much
# (a shared edge or a sliver of the source's overlaps does not).
ANNOUNCEMENTS_MIN_OVERLAP_M2 = 500
ANNOUNCEMENTS_BUFFER_RANGE_M = (10, 20_000)
ANNOUNCEMENTS_SUBSCRIPTION_RADIUS_M = (50, 20_000)
ANNOUNCEMENTS_MAX_VALIDITY_DAYS = 92
# Per speaker (agency or area): announcements per window (s); emergencies exempt.
ANNOUNCEMENTS_SENDER_RATE = (env.int("ANNOUNCEMENTS_SENDER_LIMIT", default=10), 3600)
# Quiet hours in WIB (start hour, end hour): nothing but emergencies and
# e-mail is sent; deliveries wait until the end.
ANNOUNCEMENTS_QUIET_HOURS = (21, 6)
ANNOUNCEMENTS_DELIVERY_ATTEMPTS = 6
ANNOUNCEMENTS_CAP_SENDER = env("ANNOUNCEMENTS_CAP_SENDER", default="pengumuman@kuburayakab.go.id")
# Web Push (VAPID): base64url private key (or PEM path) and the contact claim.
WEBPUSH_VAPID_PRIVATE_KEY = env("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_PUBLIC_KEY = env("WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env("WEBPUSH_VAPID_SUBJECT", default="mailto:diskominfo@kuburayakab.go.id")
