"""Rate limits beyond DRF's per-user/per-IP defaults (rates in REST_FRAMEWORK settings).

    class ReportListCreateApi(APIView):
        throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SubmitRateThrottle]

SubmitRateThrottle counts only writes (POST/PUT/PATCH/DELETE), so one view can
list the caller's reports freely while submissions are limited to the
`report_submit` rate (THROTTLE_REPORT_SUBMIT, default 20/hour) per user, or per
client IP for anonymous callers.
"""
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import SimpleRateThrottle


class SubmitRateThrottle(SimpleRateThrottle):
    scope = "report_submit"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
