"""Deadlines of UU 14/2008 on the shared working-day calendar. The expected
dates are counted by hand on the 2026 calendar (SKB cuti bersama included)."""
import datetime

import pytest

from common.workdays import is_working_day, working_days_between
from common.api_errors import ApiError
from ppid import services
from ppid.models import InformationRequest, Objection

from .conftest import IDENTITY, at

D = datetime.date


def test_request_due_ten_working_days_later_across_a_weekend(make_request):
    # Thu 1 Oct 2026: Fri 2 (1), Mon 5 .. Fri 9 (2-6), Mon 12 .. Thu 15 (7-10).
    request = make_request(received_on=D(2026, 10, 1))
    assert request.due_on == D(2026, 10, 15)


def test_request_received_on_saturday_counts_from_monday(make_request):
    request = make_request(received_on=D(2026, 10, 3))
    # Mon 5 (1) ... Fri 16 (10).
    assert request.due_on == D(2026, 10, 16)


def test_request_due_across_idul_fitri_2026_with_cuti_bersama_and_good_friday(make_request):
    # Fri 13 Mar 2026. Mon 16 (1), Tue 17 (2); Wed 18 cuti bersama Nyepi, Thu 19
    # Nyepi, Fri 20 cuti bersama Idul Fitri, Sat 21-Sun 22 Idul Fitri, Mon 23 and
    # Tue 24 cuti bersama; Wed 25 (3) .. Fri 27 (5), Mon 30 (6), Tue 31 (7),
    # Wed 1 Apr (8), Thu 2 Apr (9), Fri 3 Apr Good Friday, Mon 6 Apr (10).
    request = make_request(received_on=D(2026, 3, 13))
    assert request.due_on == D(2026, 4, 6)
    assert working_days_between(request.received_on, request.due_on) == 10


def test_receipt_day_is_the_day_in_pontianak_not_utc(requester):
    # 23:30 UTC on Fri 2 Oct is 06:30 WIB on Sat 3 Oct: received on Saturday.
    moment = datetime.datetime(2026, 10, 2, 23, 30, tzinfo=datetime.UTC)
    request = services.request_create(requester=requester, identity=IDENTITY, information="x", purpose="y",
                                      received_at=moment)
    assert request.received_on == D(2026, 10, 3)
    assert request.due_on == D(2026, 10, 16)


def test_extension_adds_seven_working_days_once_with_a_reason(make_request, officer):
    request = make_request(received_on=D(2026, 3, 13))
    with pytest.raises(ApiError) as missing:
        services.request_extend(request=request, user=officer, reason="  ", on=D(2026, 4, 1))
    assert missing.value.code == "reason_required"
    request = services.request_extend(request=request, user=officer, on=D(2026, 4, 1),
                                      reason="Informasi tersebar di 9 kantor kecamatan")
    # After Mon 6 Apr: Tue 7 (1) .. Fri 10 (4), Mon 13 (5), Tue 14 (6), Wed 15 (7).
    assert request.extended_due_on == D(2026, 4, 15)
    assert request.effective_due_on == D(2026, 4, 15)
    assert request.status == InformationRequest.Status.EXTENDED
    with pytest.raises(ApiError) as twice:
        services.request_extend(request=request, user=officer, reason="lagi", on=D(2026, 4, 2))
    assert twice.value.code == "already_extended"
    request.refresh_from_db()
    assert request.extended_due_on == D(2026, 4, 15)


def test_extension_after_the_ten_days_lapsed_is_refused(make_request, officer):
    request = make_request(received_on=D(2026, 10, 1))
    with pytest.raises(ApiError) as late:
        services.request_extend(request=request, user=officer, reason="Terlambat", on=D(2026, 10, 16))
    assert late.value.code == "extension_too_late"
    request.refresh_from_db()
    assert request.extended_due_on is None


def test_overdue_only_after_the_effective_due_day(make_request, officer):
    from ppid.selectors import request_is_overdue, requests_overdue
    request = make_request(received_on=D(2026, 10, 1))
    assert not request_is_overdue(request=request, today=D(2026, 10, 15))
    assert request_is_overdue(request=request, today=D(2026, 10, 16))
    assert list(requests_overdue(today=D(2026, 10, 16))) == [request]
    services.request_decide(request=request, user=officer, decision="granted", on=D(2026, 10, 16))
    request.refresh_from_db()
    assert not request_is_overdue(request=request, today=D(2026, 10, 20))


def test_refusal_needs_pasal_17_basis_and_consequence_test(make_request, officer):
    request = make_request(received_on=D(2026, 10, 1))
    with pytest.raises(ApiError) as exc:
        services.request_decide(request=request, user=officer, decision="refused", on=D(2026, 10, 5))
    assert exc.value.code == "exemption_basis_required"
    assert set(exc.value.fields) == {"exemption_basis", "consequence_test"}
    request.refresh_from_db()
    assert request.decision == ""
    request = services.request_decide(
        request=request, user=officer, decision="refused", on=D(2026, 10, 5), exemption_basis="17h",
        consequence_test="Membuka nama penerima bantuan mengungkap kondisi keuangan pribadi (17 h 3).")
    assert request.exemption_basis == "17h"


def _refused(make_request, officer, *, received_on, decided_on):
    request = make_request(received_on=received_on)
    return services.request_decide(request=request, user=officer, decision="refused", on=decided_on,
                                   exemption_basis="17h", consequence_test="Rahasia pribadi.")


def test_objection_window_is_thirty_working_days_after_the_refusal(make_request, officer, requester):
    request = _refused(make_request, officer, received_on=D(2026, 3, 2), decided_on=D(2026, 3, 13))
    end = services.objection_window_end(ground_on=D(2026, 3, 13))
    assert working_days_between(D(2026, 3, 13), end) == 30
    assert is_working_day(end)
    # Idul Fitri and cuti bersama (18-24 Mar) and Good Friday do not count: 30
    # working days from Fri 13 Mar end on Tue 5 May, not in April.
    assert end == D(2026, 5, 5)
    day_after = end + datetime.timedelta(days=1)
    with pytest.raises(ApiError) as closed:
        services.objection_create(request=request, user=requester, ground="a", reason="Keberatan",
                                  filed_at=at(day_after))
    assert closed.value.code == "objection_window_closed"
    assert not Objection.objects.exists()
    objection = services.objection_create(request=request, user=requester, ground="a",
                                          reason="Data agregat tidak memuat nama", filed_at=at(end))
    assert objection.ground_on == D(2026, 3, 13)
    assert working_days_between(end, objection.due_on) == 30


def test_objection_for_no_answer_only_after_the_deadline_lapsed(make_request, requester):
    request = make_request(received_on=D(2026, 10, 1))
    with pytest.raises(ApiError) as early:
        services.objection_create(request=request, user=requester, ground="c", reason="Tidak dijawab",
                                  filed_at=at(D(2026, 10, 15)))
    assert early.value.code == "no_ground"
    objection = services.objection_create(request=request, user=requester, ground="c", reason="Tidak dijawab",
                                          filed_at=at(D(2026, 10, 16)))
    assert objection.ground_on == D(2026, 10, 15)


def test_superior_answers_and_dispute_window_is_fourteen_working_days(make_request, officer, requester,
                                                                      superior):
    request = _refused(make_request, officer, received_on=D(2026, 10, 1), decided_on=D(2026, 10, 5))
    objection = services.objection_create(request=request, user=requester, ground="a", reason="Keberatan",
                                          filed_at=at(D(2026, 10, 6)))
    with pytest.raises(ApiError):
        services.objection_decide(objection=objection, user=officer, decision="rejected", response="x")
    objection = services.objection_decide(objection=objection, user=superior, decision="rejected",
                                          response="Menguatkan: data memuat nama penerima.", on=D(2026, 11, 2))
    # Tue 3 Nov (1) .. Fri 6 (4), 9-13 (5-9), 16-20 (10-14): Fri 20 Nov.
    assert services.dispute_window_end(objection=objection) == D(2026, 11, 20)
    assert objection.superior_name == "Yusran"
