"""Photo intake: check type and size, then re-encode so that no metadata
(EXIF, including GPS position and camera serial; XMP; PNG text chunks)
reaches storage. Re-encoding from pixels is the only reliable way to drop
every metadata block a file format allows.
"""
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from common.api_errors import ApiError

ALLOWED_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


@dataclass
class CleanPhoto:
    content: ContentFile
    content_type: str
    width: int
    height: int


def photo_clean(*, upload) -> CleanPhoto:
    """A metadata-free copy of an uploaded image, or ApiError.

    Decompression bombs: the pixel count is read from the header and checked
    against REPORTS_PHOTO_MAX_PIXELS before any pixel is decoded (Pillow's
    own global limit stays as a second guard; its warning is an error here).
    """
    max_bytes = settings.REPORTS_PHOTO_MAX_BYTES
    if upload.size > max_bytes:
        raise ApiError("photo_too_large", _("Foto terlalu besar (maksimal %(mb)d MB).") % {"mb": max_bytes // 2**20},
                       fields={"photo": ["too_large"]})
    data = upload.read()
    if len(data) > max_bytes:
        raise ApiError("photo_too_large", _("Foto terlalu besar."), fields={"photo": ["too_large"]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                if probe.size[0] * probe.size[1] > settings.REPORTS_PHOTO_MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                probe.verify()
            if fmt not in ALLOWED_FORMATS:
                raise ApiError("photo_type", _("Foto harus berupa JPEG, PNG atau WebP."), fields={"photo": ["type"]})
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                longest = settings.REPORTS_PHOTO_MAX_SIDE
                if max(image.size) > longest:
                    image.thumbnail((longest, longest))
                if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                    image = image.convert("RGB")
                # A new image from the pixels only: no info dict, no exif, no
                # icc/xmp blocks are carried over.
                clean = Image.new(image.mode, image.size)
                clean.paste(image)
                out = io.BytesIO()
                save_kwargs = {"quality": 85} if fmt in ("JPEG", "WEBP") else {}
                clean.save(out, format=fmt, **save_kwargs)
                width, height = clean.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ApiError("photo_too_large", _("Resolusi foto terlalu besar."), fields={"photo": ["too_many_pixels"]})
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ApiError("photo_type", _("Berkas bukan gambar yang valid (JPEG, PNG atau WebP)."),
                       fields={"photo": ["type"]})
    content_type, ext = ALLOWED_FORMATS[fmt]
    return CleanPhoto(ContentFile(out.getvalue(), name=f"photo.{ext}"), content_type, width, height)
