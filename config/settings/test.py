"""pytest settings: real PostGIS, fast hashing, mail kept in memory."""
from .base import *  # noqa: F401,F403
from .base import BASE_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".state" / "test-media"
ALLOWED_HOSTS = ["*"]

# Throttles: high unless a test asks for a low rate through the environment
# (tests/ops runs gunicorn with THROTTLE_ANON=3/min to prove they bite).
from .base import REST_FRAMEWORK, env  # noqa: E402

REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    scope: env(f"THROTTLE_{scope.upper()}", default="100000/min")
    for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}

# Report-counts cells rebuilt in the reading request, so a test reads what it
# just wrote (tests/layers/test_report_counts_background.py covers the default).
LAYERS_REPORT_COUNTS_REFRESH_INLINE = env.bool("LAYERS_REPORT_COUNTS_REFRESH_INLINE", default=True)

# The tile cache epoch read at every lookup (production reuses it 1 s), so the
# tiles tests count one query per tile; tests of the reuse set it themselves.
TILES_CACHE_EPOCH_REUSE_SECONDS = env.float("TILES_CACHE_EPOCH_REUSE_SECONDS", default=0.0)
