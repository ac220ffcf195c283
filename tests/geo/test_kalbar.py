"""geo_load_kalbar: any kabupaten/kota of West Kalimantan into the current edition,
and the regency-first point lookup (geo.regency)."""
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from geo.models import Area, AreaPart, RegencyOutline
from geo.regency import desa_at, regency_at

SUNGAI_RAYA = (109.3897, -0.0986)  # Kubu Raya's Sungai Raya town


def _inside(code: str) -> tuple[float, float]:
    """A point inside a desa/kelurahan polygon, taken from the source file."""
    path = Path(settings.KR_DATA_DIR) / "kalbar" / "kalbar_desa.geojson"
    feature = next(f for f in json.loads(path.read_text())["features"] if f["properties"]["code"] == code)
    p = shape(feature["geometry"]).representative_point()
    return p.x, p.y


def test_load_kota_pontianak_next_to_kubu_raya(kubu_raya, capsys):
    call_command("geo_load_kalbar", "61.71", "--commit")
    out = capsys.readouterr().out
    assert "committed" in out
    areas = Area.objects.filter(edition=kubu_raya, code__startswith="61.71")
    # The official list: 1 kota, 6 kecamatan, 29 kelurahan, all 29 with a polygon.
    assert areas.filter(level="kabupaten").count() == 1
    assert areas.filter(level="kecamatan").count() == 6
    assert areas.filter(level="desa").count() == 29
    assert AreaPart.objects.filter(edition=kubu_raya, level="desa", code__startswith="61.71.").values(
        "code").distinct().count() == 29
    assert RegencyOutline.objects.filter(edition=kubu_raya, code="61.71").exists()

    # Regency first, then the desa of that regency only.
    for code in ("61.71.05.1002", "61.71.01.1002"):
        lon, lat = _inside(code)
        assert desa_at(lon=lon, lat=lat) == ("61.71", code)
    # Kubu Raya has no outline row until it is loaded through geo_load_kalbar too.
    assert regency_at(lon=SUNGAI_RAYA[0], lat=SUNGAI_RAYA[1]) is None
    assert desa_at(lon=105.0, lat=0.0) == (None, None)

    # Re-running adds nothing.
    call_command("geo_load_kalbar", "61.71", "--commit")
    assert "area_added" not in capsys.readouterr().out
    assert Area.objects.filter(edition=kubu_raya, code__startswith="61.71").count() == 36


def test_kubu_raya_from_the_province_set_is_identical(kubu_raya):
    def snapshot():
        return {a.code: (a.name, a.level, a.parent_id, getattr(getattr(a, "boundary", None), "geom", None))
                for a in Area.objects.filter(edition=kubu_raya).select_related("boundary")}

    before = snapshot()
    call_command("geo_load_kalbar", "61.12", "--commit")
    after = snapshot()
    # Same areas, names and parents; the same geometries (3 kecamatan and the kabupaten
    # differ only in part order or ring start point, kalbar README, so they are rewritten
    # but topologically equal); the 117 desa polygons are byte-identical.
    assert after.keys() == before.keys()
    for code, (name, level, parent, geom) in before.items():
        assert after[code][:3] == (name, level, parent), code
        assert (geom is None) == (after[code][3] is None), code
        if geom is not None:
            assert geom.equals(after[code][3]), code
            if level == "desa":
                assert geom.wkb == after[code][3].wkb, code
    assert desa_at(lon=SUNGAI_RAYA[0], lat=SUNGAI_RAYA[1])[0] == "61.12"


def test_dry_run_and_unknown_regency(kubu_raya, capsys):
    call_command("geo_load_kalbar", "61.72")
    assert "dry run" in capsys.readouterr().out
    assert not Area.objects.filter(code__startswith="61.72").exists()
    with pytest.raises(CommandError, match="61.99"):
        call_command("geo_load_kalbar", "61.99", "--commit")
