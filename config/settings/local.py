"""Developer machine and `make demo`."""
from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# Web Push in the demo: the VAPID pair `make demo` wrote into .state/vapid.json
# (announcements_vapid_keys), unless the environment sets one.
if not (WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_PUBLIC_KEY):  # noqa: F405
    from announcements.vapid import vapid_keys_read

    _vapid = vapid_keys_read(STATE_DIR / "vapid.json")  # noqa: F405
    if _vapid:
        WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_PUBLIC_KEY = _vapid["private_key"], _vapid["public_key"]
