"""businesses_import: per-row report, dry run, all-or-nothing, --skip-invalid,
XLSX with a column mapping, legacy UU 20/2008 sheets."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from businesses.models import Business, BusinessOwner, Certificate, ScaleRule


@pytest.fixture
def sheet_rows(sungai_raya_point):
    lon, lat = sungai_raya_point
    return [
        ["Nama Usaha", "NIB", "KBLI", "Longitude", "Latitude", "Modal", "Nama Pemilik", "NIK", "No PIRT"],
        ["Keripik Pisang Bu Ani", "9120001234567", "10794", lon + 0.001, lat, "50.000.000", "Ani", "6112014501800001",
         "206611201012345"],
        ["Warung NIB Pendek", "12345", "56102", lon + 0.002, lat, "10000000", "Budi", "", ""],
        ["Toko di Laut Jawa", "", "47111", 110.5, -3.0, "5000000", "", "", ""],
        ["Kode Tak Dikenal", "", "99999", lon + 0.003, lat, "", "", "", ""],
        ["Keripik Pisang Bu Ani", "9120001234567", "10794", lon + 0.001, lat, "50000000", "Ani", "", ""],
        ["Bengkel Pak Hasan", "", "45405", lon + 0.004, lat, "20000000", "Hasan", "", ""],
    ]


@pytest.fixture
def bad_csv(tmp_path, sheet_rows):
    path = tmp_path / "umkm.csv"
    path.write_text("\n".join(";".join(str(v) for v in row) for row in sheet_rows), encoding="utf-8")
    return path


def run(*args) -> str:
    out = StringIO()
    call_command("businesses_import", *map(str, args), stdout=out, verbosity=0)
    return out.getvalue()


def test_bad_rows_are_each_reported_and_nothing_is_written(kubu_raya, bad_csv):
    out = run(bad_csv, "--commit")
    assert "line 3: invalid_nib" in out
    assert "line 4: outside_regency" in out
    assert "line 5: unknown_kbli" in out
    assert "line 6: duplicate_in_file" in out
    assert "line 2:" not in out and "line 7:" not in out
    assert "rows 6, valid 2, invalid 4: nothing written" in out
    assert Business.objects.count() == 0 and BusinessOwner.objects.count() == 0


def test_dry_run_is_the_default(kubu_raya, bad_csv):
    assert "dry run, nothing written" in run(bad_csv)
    assert Business.objects.count() == 0


def test_skip_invalid_writes_only_valid_rows_then_reports_them_as_duplicates(kubu_raya, bad_csv):
    out = run(bad_csv, "--commit", "--skip-invalid")
    assert "written 2, skipped 4 invalid" in out
    assert sorted(Business.objects.values_list("name", flat=True)) == ["Bengkel Pak Hasan", "Keripik Pisang Bu Ani"]
    keripik = Business.objects.get(name="Keripik Pisang Bu Ani")
    assert keripik.owner.nik == "6112014501800001" and keripik.financials.capital_idr == 50_000_000
    assert keripik.scale == "mikro" and keripik.source == "import:umkm.csv"
    assert Certificate.objects.get(business=keripik).number == "206611201012345"
    again = run(bad_csv)
    assert "line 2: duplicate_existing" in again and "line 7: duplicate_existing" in again


def test_xlsx_with_column_mapping_and_legacy_rule(kubu_raya, tmp_path, sungai_raya_point):
    lon, lat = sungai_raya_point
    wb = Workbook()
    ws = wb.active
    ws.append(["Nama UMKM", "Kode Usaha", "X", "Y", "Aset Bersih", "Rumahan"])
    ws.append(["Anyaman Pandan Mak Long", 16292, lon + 0.001, lat, 100_000_000, "ya"])
    path = tmp_path / "lama.xlsx"
    wb.save(path)
    mapping = "Nama UMKM=name,Kode Usaha=kbli,X=lon,Y=lat,Aset Bersih=capital_idr,Rumahan=is_home_based"
    out = run(path, "--map", mapping, "--commit", "--scale-rule", "uu20_2008")
    assert "written 1" in out
    business = Business.objects.get()
    # Rp100 juta of assets is kecil under UU 20/2008 (mikro under PP 7/2021).
    assert (business.scale, business.scale_rule, business.scale_basis) == ("kecil", ScaleRule.UU_20_2008, "assets")
    assert business.is_home_based and not business.public_location_exact
    assert business.public_location.x == pytest.approx(lon)


def test_unknown_mapping_target_is_refused(kubu_raya, bad_csv):
    with pytest.raises(CommandError):
        run(bad_csv, "--map", "Nama Usaha=nama_toko")
