"""Producers are reminded of the 6-month refresh of a berkala dataset
(UU 14/2008 Pasal 9): a month ahead, on the due date, then monthly while
late; each reminder once, however often the scheduled job runs."""
import datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import mail
from django.utils import timezone

from config.celery import app
from datasets.models import Dataset, DatasetVersion, RefreshReminder
from datasets.services import refresh_reminders_send

from .conftest import api, create_dataset, geojson, point, upload

D = datetime.date
WIB = ZoneInfo("Asia/Pontianak")


def publish(producer, walidata, agency, centroids, *, slug, kip_class="berkala") -> Dataset:
    create_dataset(producer, agency, slug=slug, kip_class=kip_class, frequency="semesteran",
                   legal_basis="UU 14/2008 Pasal 9 ayat (2) huruf b")
    _c, lon, lat = centroids[0]
    assert upload(producer, slug, "data.geojson", geojson([point(lon, lat, nama="Posyandu Melati")])).status_code \
        == 201
    approved = api(walidata).post(f"/api/v1/datasets/{slug}/versions/1/approve/", {}, format="json")
    assert approved.status_code == 200, approved.content
    return Dataset.objects.get(slug=slug)


def approved_on(dataset: Dataset, when: datetime.datetime) -> None:
    DatasetVersion.objects.filter(pk=dataset.published_version_id).update(reviewed_at=when)


@pytest.fixture
def berkala(producer, walidata, agency, centroids):
    dataset = publish(producer, walidata, agency, centroids, slug="posyandu")
    approved_on(dataset, datetime.datetime(2026, 3, 10, 9, tzinfo=WIB))  # refresh due 2026-09-10
    return dataset


def kinds_sent(**filters):
    return list(RefreshReminder.objects.filter(**filters).order_by("sent_on").values_list("sent_on", "kind"))


def test_reminders_a_month_ahead_on_the_due_date_and_monthly_when_late(berkala, producer):
    assert refresh_reminders_send(today=D(2026, 8, 10)) == []         # 31 days ahead: nothing yet
    assert [e["kind"] for e in refresh_reminders_send(today=D(2026, 8, 11))] == ["soon"]
    assert refresh_reminders_send(today=D(2026, 8, 11)) == []         # second run the same day
    assert refresh_reminders_send(today=D(2026, 8, 25)) == []         # "soon" goes once
    assert [e["kind"] for e in refresh_reminders_send(today=D(2026, 9, 10))] == ["due"]
    assert refresh_reminders_send(today=D(2026, 9, 10)) == []
    assert refresh_reminders_send(today=D(2026, 10, 9)) == []         # late, but the due notice is recent
    assert [e["kind"] for e in refresh_reminders_send(today=D(2026, 10, 10))] == ["overdue"]
    assert refresh_reminders_send(today=D(2026, 10, 20)) == []
    assert [e["kind"] for e in refresh_reminders_send(today=D(2026, 11, 9))] == ["overdue"]
    assert kinds_sent(dataset=berkala) == [(D(2026, 8, 11), "soon"), (D(2026, 9, 10), "due"),
                                           (D(2026, 10, 10), "overdue"), (D(2026, 11, 9), "overdue")]
    assert len(mail.outbox) == 4 and all(m.to == [producer.email] for m in mail.outbox)
    assert "posyandu" in mail.outbox[1].body and "2026-09-10" in mail.outbox[1].body
    assert "jatuh tempo" in mail.outbox[1].subject


def test_dry_run_sends_and_records_nothing(berkala):
    assert [e["kind"] for e in refresh_reminders_send(today=D(2026, 9, 10), commit=False)] == ["due"]
    assert not mail.outbox and not RefreshReminder.objects.exists()


def test_a_new_approved_version_resets_the_clock(berkala, producer, walidata, centroids):
    refresh_reminders_send(today=D(2026, 9, 10))
    _c, lon, lat = centroids[1]
    assert upload(producer, "posyandu", "data.geojson", geojson([point(lon, lat, nama="Posyandu Mawar")])) \
        .status_code == 201
    assert api(walidata).post("/api/v1/datasets/posyandu/versions/2/approve/", {}, format="json").status_code \
        == 200
    approved_on(Dataset.objects.get(slug="posyandu"), datetime.datetime(2026, 9, 12, 9, tzinfo=WIB))
    assert refresh_reminders_send(today=D(2026, 10, 10)) == []       # next refresh due 2027-03-12
    assert [e["kind"] for e in refresh_reminders_send(today=D(2027, 3, 12))] == ["due"]


def test_other_classes_and_unpublished_datasets_are_not_reminded(producer, walidata, agency, centroids):
    dataset = publish(producer, walidata, agency, centroids, slug="sekolah", kip_class="setiap_saat")
    approved_on(dataset, datetime.datetime(2025, 1, 1, 9, tzinfo=WIB))
    create_dataset(producer, agency, slug="draft", kip_class="berkala")  # never approved
    assert refresh_reminders_send(today=D(2026, 11, 1)) == []
    assert not mail.outbox


def test_the_agency_address_is_used_when_it_has_no_producer_account(berkala, producer, agency):
    producer.is_active = False
    producer.save()
    agency.email = "opd@kuburayakab.go.id"
    agency.save()
    refresh_reminders_send(today=D(2026, 9, 10))
    assert mail.outbox[0].to == ["opd@kuburayakab.go.id"]


def test_beat_runs_the_task_and_a_second_run_the_same_day_sends_nothing(berkala, producer):
    entry = settings.CELERY_BEAT_SCHEDULE["datasets-refresh-reminders"]
    app.loader.import_default_modules()  # autodiscovery, as the worker does
    task = app.tasks[entry["task"]]
    approved_on(berkala, timezone.now() - relativedelta(months=6))  # due today
    assert task.apply().get() == 1
    assert task.apply().get() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [producer.email]
    assert RefreshReminder.objects.get().kind == "due"


def test_command_is_a_dry_run_without_commit(berkala):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("datasets_refresh_due", "--today", "2026-09-10", stdout=out)
    assert "posyandu" in out.getvalue() and "would be sent (dry run)" in out.getvalue() and not mail.outbox
    call_command("datasets_refresh_due", "--today", "2026-09-10", "--commit", stdout=StringIO())
    call_command("datasets_refresh_due", "--today", "2026-09-10", "--commit", stdout=StringIO())
    assert len(mail.outbox) == 1
