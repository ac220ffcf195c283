"""Static files as a phone on a weak link should get them.

`collectstatic` with these storages writes the project's own JavaScript and
CSS minified (rjsmin / rcssmin: comments and white space only, no renaming, so
what runs is what is in the repository), then a gzip and a brotli copy of every
compressible file beside it (whitenoise.compress, brotli at its best quality:
done once here, not per request). WhiteNoise answers `Accept-Encoding: br`
with the .br copy: Leaflet is 36.9 KiB instead of 42.7 KiB gzipped, the report
form's script 6.1 KiB instead of 8.7 KiB (docs/benchmarks.md, issue 19).

Vendored files (any path with a `vendor/` segment, `*.min.*`) and the files of
installed packages (the admin, DRF, Swagger UI) are left as they come.
"""
from pathlib import Path

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage, CompressedStaticFilesStorage


def minifiable(path: str, source_storage) -> bool:
    """Whether `path` (as collected) is one of the project's own scripts or
    style sheets, found in an app of this repository."""
    if not path.endswith((".js", ".css")) or ".min." in path or "vendor/" in path:
        return False
    location = getattr(source_storage, "location", None)
    if not location:
        return False
    location = Path(location).resolve()
    base = Path(settings.BASE_DIR).resolve()
    return location.is_relative_to(base) and "site-packages" not in location.parts


def minify(text: str, path: str) -> str:
    import rcssmin
    import rjsmin

    if path.endswith(".css"):
        return rcssmin.cssmin(text, keep_bang_comments=True)
    return rjsmin.jsmin(text, keep_bang_comments=True)


class MinifyMixin:
    def post_process(self, paths, dry_run=False, **options):
        if not dry_run:
            paths = dict(paths)
            for path, (storage, source_path) in list(paths.items()):
                if not minifiable(path, storage):
                    continue
                with storage.open(source_path) as f:
                    text = f.read().decode("utf-8")
                small = minify(text, path)
                Path(self.path(path)).write_text(small, encoding="utf-8")
                # what follows (the hashed name, the compressed copies) reads the minified copy
                paths[path] = (self, path)
        yield from super().post_process(paths, dry_run=dry_run, **options)


class MinifiedCompressedStaticFilesStorage(MinifyMixin, CompressedStaticFilesStorage):
    """Development, tests and `make demo`: names as they are."""


class MinifiedCompressedManifestStaticFilesStorage(MinifyMixin, CompressedManifestStaticFilesStorage):
    """Production: hashed names (cached for a year), minified, compressed."""
