"""Photos on the public tracking page (issue 19): through the public
projection of photos only. A photo is public when a staff member of the
handling agency has looked at it and marked it public (nothing detects faces
or number plates automatically), and only while its report is public (P0, not
confidential, not rejected or merged); the served bytes carry no EXIF/GPS."""
import io
import re

from django.test import Client
from PIL import Image

from reports.models import PublicReportPhoto, Report, ReportPhoto
from tests.reports.conftest import (SUNGAI_RAYA, desa_point, jpeg_bytes, make_user,  # noqa: F401
                                    taxonomy, users)

from .test_workspace import _report


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "KameraPonsel"          # Make
    exif[0x8825] = {1: "S", 2: (0.0, 4.0, 12.0), 3: "E", 4: (109.0, 22.0, 5.0)}  # GPS IFD
    return exif.tobytes()


def _staff_page(client, report) -> str:
    return client.get(f"/kerja/laporan/{report.id}/").content.decode()


def test_a_photo_shows_on_the_tracking_page_only_after_staff_mark_it_public(users, desa_point, monkeypatch):
    import tests.portal.test_workspace as tw

    monkeypatch.setattr(tw, "jpeg_bytes", lambda size=(64, 48): jpeg_bytes(size, exif=_gps_exif()))
    report = _report(desa_point, reporter=users["resident"])
    photo = ReportPhoto.objects.get(report=report)
    anyone = Client()
    page = anyone.get(f"/lacak/{report.tracking_code}/").content.decode()
    assert 'id="public-photos"' not in page
    assert anyone.get(f"/lacak/{report.tracking_code}/foto/{photo.id}/").status_code == 404

    # the handling agency's staff see the choice and the rule, and mark it public
    staff = Client()
    staff.force_login(users["pupr"])
    html = _staff_page(staff, report)
    assert "photo-publish" in html and "pelat nomor" in html
    response = staff.post(f"/kerja/laporan/{report.id}/", {"action": "photo_public", "photo_id": photo.id,
                                                           "public": "1"})
    assert response.status_code == 302
    assert PublicReportPhoto.objects.filter(id=photo.id).exists()

    page = anyone.get(f"/lacak/{report.tracking_code}/").content.decode()
    url = re.search(r'<img src="([^"]+)"[^>]*class="public-photo', page).group(1)
    assert url == f"/lacak/{report.tracking_code}/foto/{photo.id}/"
    served = anyone.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    body = b"".join(served.streaming_content)
    assert Image.open(io.BytesIO(body)).getexif() == {}          # no EXIF, no GPS
    assert b"KameraPonsel" not in body
    # the photo of another report's code is not reachable through this one
    other = _report(desa_point)
    assert anyone.get(f"/lacak/{other.tracking_code}/foto/{photo.id}/").status_code == 404

    # hidden again
    staff.post(f"/kerja/laporan/{report.id}/", {"action": "photo_public", "photo_id": photo.id, "public": "0"})
    assert anyone.get(url).status_code == 404
    assert 'id="public-photos"' not in anyone.get(f"/lacak/{report.tracking_code}/").content.decode()


def test_only_the_handling_agency_may_mark_and_never_for_a_report_the_public_does_not_see(users, desa_point):
    report = _report(desa_point, reporter=users["resident"])
    photo = ReportPhoto.objects.get(report=report)
    other_agency = Client()
    other_agency.force_login(users["bpbd"])
    response = other_agency.post(f"/kerja/laporan/{report.id}/", {"action": "photo_public",
                                                                  "photo_id": photo.id, "public": "1"})
    assert response.status_code == 404   # the page itself is not theirs
    assert not PublicReportPhoto.objects.filter(id=photo.id).exists()

    staff = Client()
    staff.force_login(users["pupr"])
    Report.objects.filter(id=report.id).update(confidential=True)
    html = _staff_page(staff, report)
    assert "photo-publish" not in html
    response = staff.post(f"/kerja/laporan/{report.id}/", {"action": "photo_public", "photo_id": photo.id,
                                                           "public": "1"})
    assert response.status_code == 409 and "tidak tampil untuk publik" in response.content.decode()
    assert ReportPhoto.objects.get(id=photo.id).public_approved_at is None

    # even a flag set behind the service's back is not published: the projection decides
    ReportPhoto.objects.filter(id=photo.id).update(public_approved_at="2026-01-05T03:00:00Z")
    assert not PublicReportPhoto.objects.filter(id=photo.id).exists()
    anyone = Client()
    assert anyone.get(f"/lacak/{report.tracking_code}/foto/{photo.id}/").status_code == 404
    Report.objects.filter(id=report.id).update(confidential=False, status="rejected")
    assert anyone.get(f"/lacak/{report.tracking_code}/foto/{photo.id}/").status_code == 404
    Report.objects.filter(id=report.id).update(status="received")
    assert anyone.get(f"/lacak/{report.tracking_code}/foto/{photo.id}/").status_code == 200
