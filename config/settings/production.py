"""Production: secrets from the environment, HTTPS only, limits on every public path."""
from .base import *  # noqa: F401,F403
from .base import DATABASES, REST_FRAMEWORK, db_connection_options, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS])

# HTTPS: nginx terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # probes over plain HTTP on loopback
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Cookies: HTTPS only, not readable by scripts, short sessions for officials.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = False  # the portal's fetch() reads it to send X-CSRFToken
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = True

# Passwords: 12 characters at least in production (base says 10 for demos).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=12)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Every query from a public process is bounded (ms); bulk commands set
# DB_STATEMENT_TIMEOUT_MS=0 in their own environment (deploy/systemd).
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=15000)
DATABASES["default"]["OPTIONS"]["options"] = db_connection_options(DB_STATEMENT_TIMEOUT_MS)
# nginx adds the client address to X-Forwarded-For; throttles key on it.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("NUM_PROXIES", default=1)

STORAGES = {
    "default": {"BACKEND": "common.files.MediaStorage"},
    "staticfiles": {"BACKEND": "common.staticfiles.MinifiedCompressedManifestStaticFilesStorage"},
}
# Private media (report photos) are served by nginx through X-Accel-Redirect
# after Django checked the caller (deploy/nginx/kubu-raya.conf, location /protected/).
OPS_PRIVATE_MEDIA_ACCEL_PREFIX = env("OPS_PRIVATE_MEDIA_ACCEL_PREFIX", default="/protected/")
