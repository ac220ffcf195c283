"""Login throttling for every login path (admin, portal, API token, session).

Failures are counted per username and per client IP in the cache
(OPS_LOGIN_MAX_FAILURES within OPS_LOGIN_WINDOW_SECONDS); past the limit the
backend refuses even a correct password until the window passes, so password
guessing costs an attacker the window per few tries.
"""
import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver


def _client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "-") if request is not None else "-"


def _keys(username: str | None, request) -> list[str]:
    name = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:user:{name}", f"login-fail:ip:{_client_ip(request)}"]


def login_locked(username: str | None, request) -> bool:
    counts = cache.get_many(_keys(username, request))
    # the IP limit is wider: several people may share a school's or an office's address
    user_key, ip_key = _keys(username, request)
    return (counts.get(user_key, 0) >= settings.OPS_LOGIN_MAX_FAILURES
            or counts.get(ip_key, 0) >= settings.OPS_LOGIN_MAX_FAILURES * 4)


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._user_model_username_field())
        if login_locked(username, request):
            raise PermissionDenied("too many failed logins")  # stops the backend chain
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _user_model_username_field():
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


@receiver(user_login_failed)
def _count_failure(sender, credentials, request=None, **kwargs):
    username = credentials.get("username") or credentials.get("email")
    for key in _keys(username, request):
        cache.add(key, 0, settings.OPS_LOGIN_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, settings.OPS_LOGIN_WINDOW_SECONDS)


@receiver(user_logged_in)
def _reset_failures(sender, request, user, **kwargs):
    cache.delete(_keys(user.get_username(), request)[0])
