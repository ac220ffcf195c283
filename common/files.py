"""Serving private files (report photos, PPID attachments) after a permission check.

    return private_file_response(report.photo)      # in a view that checked the caller

With OPS_PRIVATE_MEDIA_ACCEL_PREFIX set (production: "/protected/"), Django
only answers an X-Accel-Redirect header and nginx sends the bytes from
MEDIA_ROOT (deploy/nginx/kubu-raya.conf, an `internal` location the public
cannot reach). Without it (development, tests) Django streams the file itself.
Either way the response is private and never cached by a shared cache.
"""
import mimetypes
import os
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse


def private_file_response(field_file, *, filename: str | None = None):
    name = getattr(field_file, "name", field_file)
    if not name:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / name).resolve()
    if root not in path.parents or not path.is_file():  # no ../ escapes, nothing outside media
        raise Http404
    download = filename or path.name
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    prefix = getattr(settings, "OPS_PRIVATE_MEDIA_ACCEL_PREFIX", "")
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix + quote(str(path.relative_to(root)))
    else:
        response = FileResponse(open(path, "rb"), content_type=content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(download)}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


from django.core.files.storage import FileSystemStorage  # noqa: E402


class MediaStorage(FileSystemStorage):
    """FileSystemStorage that leaves nothing behind when a write fails (a
    full disk left a 0-byte file per attempt); the OSError goes on to the
    API's error handler (507 storage_full for ENOSPC/EDQUOT)."""

    def _save(self, name, content):
        try:
            return super()._save(name, content)
        except OSError:
            path = self.path(name)
            try:
                if os.path.isfile(path) and os.path.getsize(path) < (content.size or 0) + 1:
                    os.unlink(path)
            except OSError:
                pass
            raise
