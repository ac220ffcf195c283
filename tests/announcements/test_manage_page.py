"""Issue 21: the staff announcement page (/pengumuman/kelola/) lists what a
speaker wrote or speaks for, with an attachment upload form on each draft
(the same service as POST /api/v1/announcements/{id}/attachments/): the
file is sniffed, bounded, its name passes the publication gate, errors are
shown next to the form and change nothing."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from announcements import services
from announcements.models import Attachment

from .conftest import body, client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def draft(speakers):
    return services.announcement_create(user=speakers["desa"], data=body(title_id="Jadwal posyandu Desember"))


def _upload(client, a, name, content, ctype="application/pdf", **extra):
    return client.post(f"/pengumuman/kelola/{a.public_id}/lampiran/",
                       {"file": SimpleUploadedFile(name, content, content_type=ctype)}, **extra)


def test_anonymous_is_sent_to_sign_in(client, kubu_raya):
    response = client.get("/pengumuman/kelola/")
    assert response.status_code == 302 and response["Location"].startswith("/masuk/?next=")


def test_the_speaker_uploads_attachments_through_the_form(speakers, draft):
    client = client_for(speakers["desa"])
    page = client.get("/pengumuman/kelola/")
    html = page.content.decode()
    assert page.status_code == 200 and "Jadwal posyandu Desember" in html
    assert f'action="/pengumuman/kelola/{draft.public_id}/lampiran/"' in html
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    done = _upload(client, draft, "jadwal-posyandu.pdf", PDF)
    assert done.status_code == 302 and done["Location"] == f"/pengumuman/kelola/#a-{draft.public_id}"
    assert _upload(client, draft, "peta.png", _png(), "image/png").status_code == 302
    stored = {a.name: a.content_type for a in Attachment.objects.filter(announcement=draft)}
    assert stored == {"jadwal-posyandu.pdf": "application/pdf", "peta.png": "image/png"}
    after = client.get("/pengumuman/kelola/").content.decode()
    assert "Lampiran jadwal-posyandu.pdf diunggah." in after and "Lampiran peta.png diunggah." in after
    assert after.count("jadwal-posyandu.pdf") >= 2  # the message and the list
    # Published, the attachments travel with it to the public page.
    services.announcement_publish(announcement_id=draft.id, user=speakers["desa"])
    public = client_for(None).get(f"/pengumuman/{draft.public_id}/").content.decode()
    assert "jadwal-posyandu.pdf" in public


@pytest.mark.parametrize("name,content,status,code", [
    ("catatan.txt", b"bukan pdf", 400, "unsupported_attachment"),
    ("surat.pdf", b"MZ\x90\x00 bukan pdf", 400, "unsupported_attachment"),         # the name is not trusted
    ("KTP 6112010101900001.pdf", PDF, 400, "personal_data"),                        # a NIK in the name
    ("besar.pdf", PDF + b"0" * (5 * 2**20), 413, "too_large"),
])
def test_a_refused_file_is_explained_next_to_the_form_and_changes_nothing(speakers, draft, name, content, status,
                                                                            code):
    client = client_for(speakers["desa"])
    response = _upload(client, draft, name, content)
    assert response.status_code == status
    html = response.content.decode()
    assert f'data-code="{code}"' in html
    assert 'role="alert"' in html and f'id="a-{draft.public_id}"' in html
    assert not Attachment.objects.filter(announcement=draft).exists()


def test_nothing_chosen_is_refused(speakers, draft):
    response = client_for(speakers["desa"]).post(f"/pengumuman/kelola/{draft.public_id}/lampiran/", {})
    assert response.status_code == 400 and 'data-code="file_required"' in response.content.decode()


def test_someone_elses_draft_is_not_found_and_a_published_one_takes_no_attachment(speakers, draft):
    # Another speaker (PDAM) neither sees nor reaches the desa operator's draft.
    other = client_for(speakers["pdam"])
    assert "Jadwal posyandu Desember" not in other.get("/pengumuman/kelola/").content.decode()
    assert _upload(other, draft, "x.pdf", PDF).status_code == 404
    services.announcement_publish(announcement_id=draft.id, user=speakers["desa"])
    client = client_for(speakers["desa"])
    page = client.get("/pengumuman/kelola/").content.decode()
    assert f'action="/pengumuman/kelola/{draft.public_id}/lampiran/"' not in page  # no form on a published one
    refused = _upload(client, draft, "x.pdf", PDF)
    assert refused.status_code == 403 and 'data-code="permission_denied"' in refused.content.decode()
    assert not Attachment.objects.exists()


def test_the_page_and_its_errors_speak_english(speakers, draft):
    client = client_for(speakers["desa"])
    page = client.get("/pengumuman/kelola/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ("Manage announcements", "Add an attachment", "Upload attachment", "PDF, JPEG or PNG, at most 5 MB",
                 "No attachments yet."):
        assert text in page, text
    refused = _upload(client, draft, "catatan.txt", b"teks", "text/plain", HTTP_ACCEPT_LANGUAGE="en")
    assert "Attachments must be PDF, JPEG or PNG." in refused.content.decode()


def test_the_speakers_nav_links_their_announcements(speakers):
    for who in ("desa", "camat", "pdam"):
        html = client_for(speakers[who]).get("/pengumuman/kelola/").content.decode()
        assert 'data-nav="pengumuman-kelola"' in html, who
    assert 'data-nav="pengumuman-kelola"' not in client_for(speakers["warga"]).get("/laporan-saya/").content.decode()
