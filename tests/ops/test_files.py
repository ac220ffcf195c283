"""Private files: served only from inside MEDIA_ROOT, never cached, via nginx in production."""
import pytest
from django.http import Http404
from django.test import override_settings

from common.files import private_file_response


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "reports").mkdir(parents=True)
    (tmp_path / "media" / "reports" / "foto 1.jpg").write_bytes(b"\xff\xd8\xff photo")
    (tmp_path / "secret.txt").write_text("outside media")
    return tmp_path


def test_streams_the_file_privately_in_development(media):
    response = private_file_response("reports/foto 1.jpg")
    assert b"".join(response.streaming_content) == b"\xff\xd8\xff photo"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"] == "image/jpeg"


def test_hands_the_file_to_nginx_in_production(media):
    with override_settings(OPS_PRIVATE_MEDIA_ACCEL_PREFIX="/protected/"):
        response = private_file_response("reports/foto 1.jpg")
    assert response["X-Accel-Redirect"] == "/protected/reports/foto%201.jpg"
    assert response.content == b""


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/passwd", "reports/../../secret.txt", "reports/none.jpg", ""])
def test_path_tricks_are_not_found(media, name):
    with pytest.raises(Http404):
        private_file_response(name)
