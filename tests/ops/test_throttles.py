"""The submission throttle counts writes only, per user or per client IP."""
import pytest
from django.core.cache import cache
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from common.throttles import CountAccepted, SubmitRateThrottle


class TwoPerMinute(SubmitRateThrottle):
    rate = "2/min"


class Submissions(CountAccepted, APIView):
    throttle_classes = [TwoPerMinute]
    authentication_classes = []

    def get(self, request):
        return Response([])

    def post(self, request):
        return Response({}, status=201)


class TenPerMinute(SubmitRateThrottle):
    rate = "10/min"
    scope = "other"

    def parse_rate(self, rate):
        return super().parse_rate(self.rate)


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_writes_are_limited_per_ip_and_reads_are_not():
    factory, view = APIRequestFactory(), Submissions.as_view()
    codes = [view(factory.post("/x", {}, REMOTE_ADDR="198.51.100.7")).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert view(factory.get("/x", REMOTE_ADDR="198.51.100.7")).status_code == 200
    # another client still may submit
    assert view(factory.post("/x", {}, REMOTE_ADDR="198.51.100.8")).status_code == 201


def test_two_throttles_count_only_the_accepted_submissions():
    """Two throttles on one view, checked by DRF: each counts only the
    submissions accepted (201), not those another refused, and the refusal
    carries DRF's Retry-After."""
    factory = APIRequestFactory()
    view = type("V", (Submissions,), {"throttle_classes": [TenPerMinute, TwoPerMinute]}).as_view()
    answers = [view(factory.post("/x", {}, REMOTE_ADDR="198.51.100.9")) for _ in range(4)]
    assert [r.status_code for r in answers] == [201, 201, 429, 429]
    assert all(int(r["Retry-After"]) > 0 for r in answers[2:])
    assert len(cache.get("throttle_other_ip-198.51.100.9")) == 2  # accepted submissions only
    assert len(cache.get("throttle_report_submit_ip-198.51.100.9")) == 2
