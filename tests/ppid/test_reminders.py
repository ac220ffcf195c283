"""PPID staff are reminded before request and objection deadlines (domain.md
7.4: 10 + 7 working days; 30 working days for the atasan PPID) by a task beat
schedules; a second run the same day sends nothing twice."""
import datetime

from django.conf import settings
from django.core import mail
from django.utils import timezone

from common.workdays import add_working_days
from config.celery import app
from ppid import services
from ppid.models import InformationRequest, Reminder

from .conftest import IDENTITY


def _due(request, day):
    InformationRequest.objects.filter(pk=request.pk).update(due_on=day)


def test_beat_task_reminds_the_handling_officers_once_a_day(make_request, officer, pelaksana, agency,
                                                           other_agency, superior):
    today = timezone.localdate()
    ours = make_request(received_on=today, agency=agency)
    theirs = make_request(received_on=today, agency=other_agency)
    later = make_request(received_on=today)
    _due(ours, today)
    _due(theirs, add_working_days(today, 2))
    _due(later, add_working_days(today, 3))  # beyond two working days: not yet
    app.loader.import_default_modules()  # autodiscovery, as the worker does
    task = app.tasks[settings.CELERY_BEAT_SCHEDULE["ppid-reminders"]["task"]]
    assert task.apply().get() == 2
    assert task.apply().get() == 0
    sent = {(m.subject.split(": ")[-1], tuple(m.to)) for m in mail.outbox}
    assert sent == {(ours.registration_number, tuple(sorted([officer.email, pelaksana.email]))),
                    (theirs.registration_number, (officer.email,))}
    assert Reminder.objects.count() == 2
    assert all(IDENTITY["name"] not in m.body and IDENTITY["id_number"] not in m.body for m in mail.outbox)


def test_objection_deadlines_reach_the_superior(make_request, requester, officer, superior):
    today = timezone.localdate()
    request = make_request(received_on=today)
    services.request_decide(request=request, user=officer, decision="refused", exemption_basis="17h",
                            consequence_test="Rahasia pribadi", on=today)
    objection = services.objection_create(request=request, user=requester, ground="a", reason="Mohon dibuka")
    type(objection).objects.filter(pk=objection.pk).update(due_on=today - datetime.timedelta(days=1))
    mail.outbox.clear()
    services.reminders_send(commit=True)
    services.reminders_send(commit=True)
    assert [m.to for m in mail.outbox] == [[superior.email]]
    assert "lewat tenggat" in mail.outbox[0].subject and objection.registration_number in mail.outbox[0].subject
