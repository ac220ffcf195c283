"""Compressed HTML, JSON and GeoJSON in every mode (demo included).

`GZipMiddleware` is Django's, except that it honours q-values: a client that
sends `Accept-Encoding: gzip;q=0` (or `*;q=0` without naming gzip, or only
`identity`) gets the body as it is. Django's own middleware looks for the word
"gzip" anywhere in the header and would compress for `gzip;q=0`. Responses
that are already encoded (vector tiles, whitenoise's .gz copies) and bodies
under 200 bytes are left alone, as in Django.
"""
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.utils.cache import patch_vary_headers


def gzip_accepted(header: str) -> bool:
    """Whether an Accept-Encoding value admits gzip (RFC 9110 12.5.3)."""
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
    if "gzip" in weights:
        return weights["gzip"] > 0
    if "x-gzip" in weights:
        return weights["x-gzip"] > 0
    return weights.get("*", 0) > 0


class GZipMiddleware(DjangoGZipMiddleware):
    def process_response(self, request, response):
        if not gzip_accepted(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            if not response.has_header("Content-Encoding"):
                patch_vary_headers(response, ("Accept-Encoding",))
            return response
        return super().process_response(request, response)
