"""A full media disk: 507 storage_full JSON, no orphan file, no report (issue 17, 8)."""
import os
import uuid

import pytest

from reports.models import Report
from tests.ops.tmpfs import fill, small_tmpfs

from .conftest import client_for


@pytest.mark.django_db
def test_a_photo_on_a_full_media_disk_is_a_507_and_leaves_nothing(submit, users, settings):
    with small_tmpfs("1m") as media:
        settings.MEDIA_ROOT = media
        fill(media)
        before = set(os.listdir(media))
        report_id = uuid.uuid4()
        response = submit(users["resident"], report_id=report_id)
        left = [os.path.join(d, f) for d, _, files in os.walk(media) for f in files]
        english = client_for(users["resident"]).post("/api/v1/reports/", {"id": str(uuid.uuid4())},
                                                    HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 507, response.content
    assert response.json()["code"] == "storage_full" and response["Retry-After"]
    assert sorted(os.path.relpath(p, media) for p in left) == sorted(before)  # only the filler files
    assert not Report.objects.filter(id=report_id).exists()
    assert english.status_code in (400, 507)
