"""The submission throttle counts writes only, per user or per client IP."""
import pytest
from django.core.cache import cache
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from common.throttles import BatchedThrottles, CountAccepted, SubmitRateThrottle


class TwoPerMinute(SubmitRateThrottle):
    rate = "2/min"


class Submissions(CountAccepted, APIView):
    throttle_classes = [TwoPerMinute]
    authentication_classes = []

    def get(self, request):
        return Response([])

    def post(self, request):
        return Response({}, status=201)


class BatchedSubmissions(BatchedThrottles, Submissions):
    """As the submission endpoint checks them: histories read and written in one call each."""


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


@pytest.mark.parametrize("view_class", [Submissions, BatchedSubmissions])
def test_writes_are_limited_per_ip_and_reads_are_not(view_class):
    factory, view = APIRequestFactory(), view_class.as_view()
    codes = [view(factory.post("/x", {}, REMOTE_ADDR="198.51.100.7")).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert view(factory.get("/x", REMOTE_ADDR="198.51.100.7")).status_code == 200
    # another client still may submit
    assert view(factory.post("/x", {}, REMOTE_ADDR="198.51.100.8")).status_code == 201


def test_batched_throttles_decide_as_drf_with_two_throttles():
    """Two throttles on one view: DRF's one-by-one check and the batched one
    refuse the same request with the same Retry-After, and each throttle
    counts only the submissions accepted (201), not those another refused."""
    factory = APIRequestFactory()
    answers = {}
    for view_class in (Submissions, BatchedSubmissions):
        cache.clear()
        view = type("V", (view_class,), {"throttle_classes": [TenPerMinute, TwoPerMinute]}).as_view()
        answers[view_class] = [(r.status_code, r.get("Retry-After"))
                               for r in (view(factory.post("/x", {}, REMOTE_ADDR="198.51.100.9")) for _ in range(4))]
        assert len(cache.get("throttle_other_ip-198.51.100.9")) == 2  # accepted submissions only
        assert len(cache.get("throttle_report_submit_ip-198.51.100.9")) == 2
    assert answers[Submissions] == answers[BatchedSubmissions]
    assert [code for code, _ in answers[BatchedSubmissions]] == [201, 201, 429, 429]
