"""Rate limits beyond DRF's per-user/per-IP defaults (rates in REST_FRAMEWORK settings).

    class ReportListCreateApi(CountAccepted, APIView):
        throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SubmitRateThrottle]

SubmitRateThrottle counts only writes (POST/PUT/PATCH/DELETE), so one view can
list the caller's reports freely while submissions are limited to the
`report_submit` rate (THROTTLE_REPORT_SUBMIT, default 20/hour) per user, or per
client IP for anonymous callers. It counts only accepted submissions: DRF's
check (allow_request) runs before the view, and the submission is recorded
(DRF's throttle_success) after the view answered 201 Created (`CountAccepted`,
through APIView.finalize_response), so a 503 while the database is away, a
400, or the replay of a stored UUID (200) uses up nothing.

Every throttle here is DRF's: its classes, its histories, its decision and
wait. `throttles_check` is APIView.check_throttles' loop, for the two callers
DRF does not dispatch (the lean paths of common.lean and Open311's POST).
"""
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle


class SubmitRateThrottle(SimpleRateThrottle):
    scope = "report_submit"
    counts_accepted_only = True

    def throttle_success(self):
        return True  # checked only: record_accepted() counts it once the submission is stored

    def record_accepted(self, request, view) -> None:
        """Count an accepted submission: DRF's allow_request reads the
        history, DRF's throttle_success stores it with this request."""
        if self.rate is None or self.get_cache_key(request, view) is None:
            return
        self.allow_request(request, view)
        super().throttle_success()

    def get_cache_key(self, request, view):
        if request.method in SAFE_METHODS:
            return None  # not counted (SimpleRateThrottle allows a request without a key)
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def throttles_check(request, view) -> list:
    """The waits of `view`'s throttles that refuse `request`, asked as
    APIView.check_throttles asks them (each throttle that allows records the
    request)."""
    return [throttle.wait() for throttle in view.get_throttles() if not throttle.allow_request(request, view)]


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
