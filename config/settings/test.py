"""pytest settings: real PostGIS, fast hashing, mail kept in memory."""
from .base import *  # noqa: F401,F403
from .base import BASE_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".state" / "test-media"
ALLOWED_HOSTS = ["*"]
