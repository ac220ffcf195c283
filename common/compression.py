"""Compressed HTML, JSON and GeoJSON in every mode (demo included).

`GZipMiddleware` is Django's, except that it honours q-values: a client that
sends `Accept-Encoding: gzip;q=0` (or `*;q=0` without naming gzip, or only
`identity`) gets the body as it is. Django's own middleware looks for the word
"gzip" anywhere in the header and would compress for `gzip;q=0`. Responses
that are already encoded (vector tiles, whitenoise's .gz copies) and bodies
under 200 bytes are left alone, as in Django.

`precompressed_response`: a text that changes rarely (the boundary files of an
edition) compressed once with brotli at its best (or gzip -9) and kept in the
cache; the static files get the same from collectstatic (common.staticfiles).
"""
from django.http import HttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.utils.cache import patch_vary_headers


def _weights(header: str) -> dict:
    weights = {}
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[name] = q
    return weights


def gzip_accepted(header: str) -> bool:
    """Whether an Accept-Encoding value admits gzip (RFC 9110 12.5.3)."""
    weights = _weights(header)
    if "gzip" in weights:
        return weights["gzip"] > 0
    if "x-gzip" in weights:
        return weights["x-gzip"] > 0
    return weights.get("*", 0) > 0


def brotli_accepted(header: str) -> bool:
    """Whether an Accept-Encoding value admits br (browsers send it on HTTPS
    and on localhost)."""
    weights = _weights(header)
    return weights["br"] > 0 if "br" in weights else weights.get("*", 0) > 0


def negotiate(header: str) -> str:
    """The coding to answer with: br, else gzip, else identity."""
    if brotli_accepted(header):
        return "br"
    return "gzip" if gzip_accepted(header) else "identity"


def encode(data: bytes, coding: str) -> bytes:
    """data compressed as hard as the coding goes (for bodies compressed once
    and kept, not per request: brotli at quality 11 takes ~0.4 s for the
    143 KB desa GeoJSON and makes it 21 KiB instead of gzip's 30 KiB)."""
    if coding == "br":
        import brotli

        return brotli.compress(data, quality=11)
    if coding == "gzip":
        import gzip

        return gzip.compress(data, compresslevel=9, mtime=0)
    return data


def precompressed_response(request, build, *, key: str, content_type: str, seconds: int) -> HttpResponse:
    """The text that build() returns, in the coding the client prefers, the
    compressed bytes kept in the cache under `key` (which names the content,
    e.g. its edition) for `seconds`: built and compressed once, not per
    request. The compression middleware leaves an encoded answer alone; an
    ETag on it must be weak (the codings are one resource)."""
    from django.core.cache import cache

    coding = negotiate(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    if coding == "identity":
        body = build().encode("utf-8")
    else:
        body = cache.get_or_set(f"encoded:{coding}:{key}", lambda: encode(build().encode("utf-8"), coding), seconds)
    response = HttpResponse(body, content_type=content_type)
    if coding != "identity":
        response["Content-Encoding"] = coding
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


class GZipMiddleware(DjangoGZipMiddleware):
    def process_response(self, request, response):
        if not gzip_accepted(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            if not response.has_header("Content-Encoding"):
                patch_vary_headers(response, ("Accept-Encoding",))
            return response
        return super().process_response(request, response)
