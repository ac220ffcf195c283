"""FixMyStreet-style alerts: new public reports near a subscriber or in a
subscribed area, and changes of a followed report; restricted reports alert
nobody; no description leaves."""
import pytest
from django.core import mail

from accounts.models import Role
from announcements.delivery import deliveries_run
from announcements.models import Delivery
from reports.services import categories_seed

from .conftest import SUNGAI_RAYA, TELUK_KAPUAS, client_for
from .test_serta_merta import SECRET, _report

pytestmark = pytest.mark.django_db
POINT = (109.3724, -0.0715)   # inside Sungai Raya


@pytest.fixture(autouse=True)
def no_kick(monkeypatch):
    """The outbox row is written, but its after-commit kick is not run here:
    the test delivers itself, at a time it chooses (not in quiet hours)."""
    from common import outbox
    monkeypatch.setattr(outbox, "kick", lambda key: None)


@pytest.fixture
def later():
    """10:00 WIB on the day after the rows were planned (whatever today is)."""
    import datetime
    from django.utils import timezone
    from .conftest import WIB
    day = timezone.now().astimezone(WIB).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=WIB)


def _tokens(**filters):
    return {str(t) for t in Delivery.objects.filter(report_event__isnull=False, **filters)
            .values_list("subscription__token", flat=True)}


def test_new_public_report_alerts_nearby_and_area_subscribers_only(speakers, subscribe, make_user, later,
                                                                   django_capture_on_commit_callbacks):
    categories_seed()
    near = subscribe(target="point", lon=POINT[0] + 0.003, lat=POINT[1], radius_m=600, reports=True,
                     announcements=False)
    desa = subscribe(target="area", area_code=SUNGAI_RAYA, reports=True)
    far = subscribe(target="point", lon=POINT[0] + 0.03, lat=POINT[1], radius_m=600, reports=True)
    other_desa = subscribe(target="area", area_code=TELUK_KAPUAS, reports=True)
    announcements_only = subscribe(target="area", area_code=SUNGAI_RAYA)
    with django_capture_on_commit_callbacks(execute=True):
        report = _report("road-damage", *POINT)
    assert _tokens() == {near["token"], desa["token"]}
    assert not _tokens() & {far["token"], other_desa["token"], announcements_only["token"]}
    assert deliveries_run(now=later)["sent"] == 2
    alerts = [m for m in mail.outbox if m.subject.startswith("[Laporan warga]")]
    assert len(alerts) == 2
    assert all(report["tracking_code"] in m.body and SECRET not in m.body and "/pengumuman/berhenti/" in m.body
               for m in alerts)

    # Following that one report: its status changes reach the follower.
    follower = subscribe(target="report", report=report["tracking_code"])
    coordinator = make_user("koordinator", Role.COORDINATOR, "diskominfo")
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(coordinator).post(f"/api/v1/reports/{report['id']}/transitions/", {"to": "verified"},
                                         content_type="application/json")
    assert r.status_code in (200, 201), r.content
    assert _tokens(report_event__to_status="verified") == {follower["token"]}
    mail.outbox.clear()
    assert deliveries_run(now=later)["sent"] == 1
    assert [m.subject for m in mail.outbox if m.subject.startswith("[Laporan warga]")] == [
        "[Laporan warga] Jalan / jembatan rusak, turap longsor, drainase tersumbat di Sungai Raya: terverifikasi"]


def test_restricted_reports_alert_nobody(speakers, subscribe, django_capture_on_commit_callbacks):
    categories_seed()
    subscribe(target="area", area_code=SUNGAI_RAYA, reports=True)
    subscribe(target="point", lon=POINT[0], lat=POINT[1], radius_m=2000, reports=True)
    with django_capture_on_commit_callbacks(execute=True):
        _report("health-visit", *POINT)
    assert Delivery.objects.count() == 0
    r = client_for(speakers["warga"]).post("/api/v1/subscriptions/", {"channel": "email", "target": "report",
                                                                     "report": "KR-NOPE-XX"},
                                           content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "unknown_report"
