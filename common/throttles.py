"""Rate limits beyond DRF's per-user/per-IP defaults (rates in REST_FRAMEWORK settings).

    class ReportListCreateApi(APIView):
        throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SubmitRateThrottle]

SubmitRateThrottle counts only writes (POST/PUT/PATCH/DELETE), so one view can
list the caller's reports freely while submissions are limited to the
`report_submit` rate (THROTTLE_REPORT_SUBMIT, default 20/hour) per user, or per
client IP for anonymous callers. It counts only accepted submissions: the
history is checked before the view runs and written after it answered 201
Created (`CountAccepted`, which BatchedThrottles includes, and the lean path),
so a 503 while the database is away, a 400, or the replay of a stored UUID
(200) uses up nothing.

`throttle_waits` asks a view's throttles as APIView.check_throttles does,
with the histories of DRF's rate throttles read in one cache call and written
in one; `BatchedThrottles` makes a view check its throttles that way.
"""
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle


class SubmitRateThrottle(SimpleRateThrottle):
    scope = "report_submit"
    counts_accepted_only = True

    def throttle_success(self):
        return True  # checked only: record_accepted() counts it once the submission is stored

    def record_accepted(self, request, view) -> None:
        if self.rate is None:
            return
        key = self.get_cache_key(request, view)
        if key is None:
            return
        now = self.timer()
        history = [t for t in (self.cache.get(key) or []) if t > now - self.duration]
        self.cache.set(key, [now, *history], self.duration)

    def get_cache_key(self, request, view):
        if request.method in SAFE_METHODS:
            return None  # not counted (SimpleRateThrottle allows a request without a key)
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def throttle_waits(request, view) -> list:
    """The waits of the throttles refusing `request`, as
    APIView.check_throttles collects them (every throttle is asked; those
    that allow record the request). DRF's rate throttles (per IP, per user)
    read and write their histories one by one, four Redis round trips per
    request; here their histories are read in one call and the new ones
    written in one, by the same rule (SimpleRateThrottle.allow_request)."""
    waits, batched = [], []
    for throttle in view.get_throttles():
        if batchable(throttle):
            if throttle.rate is None:
                continue
            throttle.key = throttle.get_cache_key(request, view)
            if throttle.key is not None:
                batched.append(throttle)
        elif not throttle.allow_request(request, view):
            waits.append(throttle.wait())
    keys = [t.key for t in batched]
    if len(set(keys)) != len(keys) or len({id(t.cache) for t in batched}) > 1:
        return waits + [t.wait() for t in batched if not t.allow_request(request, view)]  # one by one
    if not batched:
        return waits
    cache = batched[0].cache
    histories = cache.get_many(keys)
    writes: dict[int, dict] = {}
    for t in batched:
        t.history, t.now = histories.get(t.key, []), t.timer()
        while t.history and t.history[-1] <= t.now - t.duration:
            t.history.pop()
        if len(t.history) >= t.num_requests:
            waits.append(t.wait())
        else:
            t.history.insert(0, t.now)
            writes.setdefault(t.duration, {})[t.key] = t.history
    for duration, values in writes.items():
        cache.set_many(values, duration)
    return waits


def throttles_record_accepted(request, view, status: int) -> None:
    """After the view answered: count the request in the throttles that count
    accepted submissions only, when it was one (201 Created)."""
    if status != 201:
        return
    for throttle in view.get_throttles():
        if getattr(throttle, "counts_accepted_only", False):
            throttle.record_accepted(request, view)


class CountAccepted:
    """APIView mixin: throttles that count accepted submissions only
    (SubmitRateThrottle) are told of a 201 once the response is final."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        throttles_record_accepted(request, self, response.status_code)
        return response


def batchable(throttle) -> bool:
    kind = type(throttle)
    return (isinstance(throttle, SimpleRateThrottle)
            and kind.allow_request is SimpleRateThrottle.allow_request
            and kind.throttle_success is SimpleRateThrottle.throttle_success
            and kind.throttle_failure is SimpleRateThrottle.throttle_failure)


class BatchedThrottles(CountAccepted):
    """APIView mixin: check_throttles through throttle_waits (the same
    decisions and Retry-After, two cache round trips instead of two per
    throttle)."""

    def check_throttles(self, request):
        waits = self.throttle_waits(request)
        if waits:
            self.throttled(request, max((w for w in waits if w is not None), default=None))

    def throttle_waits(self, request) -> list:
        return throttle_waits(request, self)
