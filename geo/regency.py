"""Point lookup for a deployment that serves several regencies: pick the regency
first (geo.RegencyOutline, a small table that is a reference table on Citus),
then the desa within that regency only (a router query once areas carry the
regency key). Rule where desa overlap (a few slivers, kalbar README): the
lowest code wins, as everywhere a point lookup must give one answer.
"""
from django.conf import settings
from django.contrib.gis.geos import Point

from .models import AreaPart, Edition, RegencyOutline
from .selectors import edition_current


def regency_at(*, lon: float, lat: float, edition: Edition | None = None) -> str | None:
    edition = edition or edition_current()
    if edition is None:
        return None
    point = Point(lon, lat, srid=settings.GEO_STORAGE_SRID)
    return (RegencyOutline.objects.filter(edition=edition, geom__covers=point)
            .order_by("code").values_list("code", flat=True).first())


def desa_at(*, lon: float, lat: float, edition: Edition | None = None) -> tuple[str | None, str | None]:
    """(regency code, desa code) of a point; None where it is outside."""
    edition = edition or edition_current()
    regency = regency_at(lon=lon, lat=lat, edition=edition)
    if regency is None:
        return None, None
    point = Point(lon, lat, srid=settings.GEO_STORAGE_SRID)
    desa = (AreaPart.objects.filter(edition=edition, level="desa", code__startswith=regency + ".",
                                    geom__covers=point)
            .order_by("code").values_list("code", flat=True).first())
    return regency, desa
