"""The submission throttle counts writes only, per user or per client IP."""
import pytest
from django.core.cache import cache
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from common.throttles import SubmitRateThrottle


class TwoPerMinute(SubmitRateThrottle):
    rate = "2/min"


class Submissions(APIView):
    throttle_classes = [TwoPerMinute]
    authentication_classes = []

    def get(self, request):
        return Response([])

    def post(self, request):
        return Response({}, status=201)


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
