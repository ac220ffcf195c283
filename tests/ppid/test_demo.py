"""The demo requester's sample request: filed once, after the demo accounts."""
from io import StringIO

from django.core.management import call_command

from ppid.models import InformationRequest


def test_ppid_demo_files_the_sample_request_once_after_demo_users(kubu_raya):
    out = StringIO()
    call_command("ppid_demo", stdout=out)
    assert "run demo_users first" in out.getvalue() and not InformationRequest.objects.exists()
    call_command("demo_users", stdout=out)
    call_command("ppid_demo", stdout=out)
    call_command("ppid_demo", stdout=out)
    assert list(InformationRequest.objects.values_list("requester__username", flat=True)) == ["pemohon"]
