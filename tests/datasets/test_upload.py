"""Uploads: validation per row, nothing stored from an invalid file, the
walidata's approval before publication, versions, the refresh flag."""
import datetime
import subprocess
import zipfile

import pytest
from django.utils import timezone

from datasets.models import Dataset, DatasetFeature, DatasetVersion
from datasets.selectors import datasets_due_for_refresh
from datasets import policy as policy

from .conftest import SINGKAWANG, api, create_dataset, geojson, point, polygon, square, upload, xlsx


def _school_points(centroids, n=3):
    return [point(lon, lat, nama=f"SD Negeri {i}", murid=100 + i, akreditasi="A")
            for i, (_code, lon, lat) in enumerate(centroids[:n], start=1)]


def test_valid_geojson_is_pending_until_the_walidata_approves(producer, walidata, agency, centroids):
    create_dataset(producer, agency)
    response = upload(producer, "sekolah", "sekolah.geojson", geojson(_school_points(centroids)))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "pending" and body["rows"] == 3
    assert body["report"]["valid"] and body["report"]["errors"] == []
    assert {f["name"]: f["type"] for f in body["report"]["fields"]} == {
        "nama": "string", "murid": "integer", "akreditasi": "string"}
    # Not public before approval.
    assert list(policy.datasets_public()) == []
    assert api(walidata).get("/api/v1/datasets/").json()["results"] == []
    # The producer cannot approve their own upload.
    assert api(producer).post("/api/v1/datasets/sekolah/versions/1/approve/", {}, format="json").status_code == 403
    approved = api(walidata).post("/api/v1/datasets/sekolah/versions/1/approve/", {"note": "Sesuai standar"},
                                  format="json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    [dataset] = policy.datasets_public()
    assert dataset.layer_id == "dataset-sekolah"
    listed = api(walidata).get("/api/v1/datasets/").json()["results"]
    assert [d["id"] for d in listed] == ["dataset-sekolah"]


def test_points_get_their_desa(producer, agency, centroids):
    create_dataset(producer, agency)
    upload(producer, "sekolah", "sekolah.geojson", geojson(_school_points(centroids, 2)))
    codes = list(DatasetFeature.objects.order_by("row").values_list("area__code", flat=True))
    assert codes == [centroids[0][0], centroids[1][0]]


def test_invalid_file_reports_each_bad_row_and_stores_nothing(producer, agency, centroids):
    create_dataset(producer, agency)
    _c, lon, lat = centroids[5]
    bowtie = [[[lon, lat], [lon + 0.01, lat + 0.01], [lon + 0.01, lat], [lon, lat + 0.01], [lon, lat]]]
    features = [
        polygon(square(lon, lat), nama="Kantor desa", murid=1),                  # row 1: fine
        polygon(bowtie, nama="Lapangan", murid=2),                               # row 2: self-intersection
        polygon(square(*SINGKAWANG), nama="Di Singkawang", murid=3),             # row 3: outside
        polygon(square(lon, lat, 0.002), nama="Sekolah", murid="tiga ratus"),   # row 4: not a number
        {"type": "Feature", "geometry": None, "properties": {"nama": "Tanpa", "murid": 5}},  # row 5
    ]
    response = upload(producer, "sekolah", "bangunan.geojson", geojson(features))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_file"
    report = body["report"]
    assert report["valid"] is False
    by_row = {e["row"]: " ".join(e["messages"]) for e in report["errors"]}
    assert sorted(by_row) == [2, 3, 4, 5]
    assert "tidak valid" in by_row[2] and "Self-intersection" in by_row[2]
    assert "di luar" in by_row[3] or "di dalam" in by_row[3]
    assert "'tiga ratus'" in by_row[4] and "murid" in by_row[4]
    assert "tanpa geometri" in by_row[5]
    assert not DatasetVersion.objects.exists() and not DatasetFeature.objects.exists()
    assert Dataset.objects.get(slug="sekolah").fields.count() == 0


def test_swapped_lon_lat_is_named(producer, agency, centroids):
    create_dataset(producer, agency)
    _c, lon, lat = centroids[0]
    response = upload(producer, "sekolah", "s.geojson", geojson([point(lat, lon, nama="x")]))
    assert response.status_code == 400
    assert "tertukar" in response.json()["report"]["errors"][0]["messages"][0]


def test_csv_points_with_lon_lat(producer, agency, centroids):
    create_dataset(producer, agency)
    rows = ["nama;lon;lat;kapasitas"] + [f"Posyandu {i};{lon};{lat};{i * 10}"
                                         for i, (_c, lon, lat) in enumerate(centroids[:4], start=1)]
    rows.append(f"Jauh;{SINGKAWANG[0]};{SINGKAWANG[1]};5")
    response = upload(producer, "sekolah", "posyandu.csv", "\n".join(rows).encode())
    assert response.status_code == 400
    assert [e["row"] for e in response.json()["report"]["errors"]] == [5]
    response = upload(producer, "sekolah", "posyandu.csv", "\n".join(rows[:-1]).encode())
    assert response.status_code == 201, response.content
    assert response.json()["rows"] == 4


def test_desa_csv_with_unknown_code_is_rejected_naming_the_code(producer, agency, desa_codes):
    create_dataset(producer, agency, slug="stunting", kind="desa")
    rows = ["kode_desa,balita_stunting", f"{desa_codes[0]},12", "61.12.01.2999,4", f"{desa_codes[1]},7"]
    response = upload(producer, "stunting", "stunting.csv", "\n".join(rows).encode())
    assert response.status_code == 400
    errors = response.json()["report"]["errors"]
    assert [e["row"] for e in errors] == [2]
    assert "'61.12.01.2999'" in errors[0]["messages"][0]
    assert "tidak dikenal" in errors[0]["messages"][0]
    assert not DatasetVersion.objects.exists()


def test_desa_code_without_dots_and_duplicates(producer, agency, desa_codes):
    create_dataset(producer, agency, slug="stunting", kind="desa")
    plain = desa_codes[0].replace(".", "")
    rows = ["Kode Desa,Jumlah", f"{plain},3", f"{desa_codes[0]},4"]
    response = upload(producer, "stunting", "s.csv", "\n".join(rows).encode())
    errors = response.json()["report"]["errors"]
    assert errors == [{"row": 2, "messages": [f"kode desa '{desa_codes[0]}' sudah ada di baris 1"]}]


def test_kecamatan_xlsx_joined_to_boundaries(producer, walidata, agency, kubu_raya):
    from geo.models import Area
    kecamatan = list(Area.objects.filter(edition=kubu_raya, level="kecamatan").values_list("code", flat=True))
    create_dataset(producer, agency, slug="puskesmas-kec", kind="kecamatan")
    content = xlsx([["kode_kecamatan", "jumlah_puskesmas", "rasio"]]
                   + [[code, i, i / 3] for i, code in enumerate(kecamatan, start=1)])
    response = upload(producer, "puskesmas-kec", "puskesmas.xlsx", content)
    assert response.status_code == 201, response.content
    assert {f["name"]: f["type"] for f in response.json()["report"]["fields"]} == {
        "jumlah_puskesmas": "integer", "rasio": "number"}
    api(walidata).post("/api/v1/datasets/puskesmas-kec/versions/1/approve/", {}, format="json")
    dataset = policy.dataset_public_get(slug="puskesmas-kec")
    from django.db import connection
    sql, params = policy.dataset_public_sql(dataset)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(geom) FROM ({sql}) t", params)
        assert cursor.fetchone() == (len(kecamatan), len(kecamatan))


# ogr2ogr comes with gdal-bin, which scripts/sysdeps.sh installs.
def test_geopackage_and_zipped_shapefile_in_utm_are_reprojected(producer, agency, centroids, tmp_path):
    create_dataset(producer, agency)
    source = tmp_path / "src.geojson"
    source.write_bytes(geojson(_school_points(centroids)))
    gpkg = tmp_path / "sekolah.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(gpkg), str(source)], check=True)
    response = upload(producer, "sekolah", "sekolah.gpkg", gpkg.read_bytes())
    assert response.status_code == 201, response.content
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    # UTM zone 49S (metres): the upload must come back to the same lon/lat.
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", "-t_srs", "EPSG:32749", str(shp_dir / "sekolah.shp"),
                    str(source)], check=True)
    archive = tmp_path / "sekolah.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in shp_dir.iterdir():
            z.write(part, part.name)
    response = upload(producer, "sekolah", "sekolah.zip", archive.read_bytes())
    assert response.status_code == 201, response.content
    v2 = DatasetFeature.objects.filter(version__number=2).order_by("row")
    for feature, (_code, lon, lat) in zip(v2, centroids):
        assert feature.geom.x == pytest.approx(lon, abs=1e-6)
        assert feature.geom.y == pytest.approx(lat, abs=1e-6)


def test_shapefile_without_prj_is_refused(producer, agency, centroids, tmp_path):
    create_dataset(producer, agency)
    source = tmp_path / "src.geojson"
    source.write_bytes(geojson(_school_points(centroids)))
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", str(tmp_path / "s.shp"), str(source)], check=True)
    (tmp_path / "s.prj").unlink()
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("s.*"):
            z.write(part, part.name)
    response = upload(producer, "sekolah", "s.zip", archive.read_bytes())
    assert response.status_code == 400
    assert "CRS" in response.json()["report"]["file_errors"][0]


def test_another_agency_producer_cannot_upload(producer, agency, centroids, kubu_raya):
    from accounts.models import Role
    from accounts.services import membership_grant, user_create
    from geo.models import Agency
    create_dataset(producer, agency)
    stranger = user_create(username="lain")
    membership_grant(user=stranger, role=Role.DATA_PRODUCER, agency=Agency.objects.order_by("-code").first())
    response = upload(stranger, "sekolah", "s.geojson", geojson(_school_points(centroids)))
    assert response.status_code == 404
    assert not DatasetVersion.objects.exists()


def test_new_version_supersedes_and_old_versions_are_kept(producer, walidata, agency, centroids):
    create_dataset(producer, agency)
    upload(producer, "sekolah", "v1.geojson", geojson(_school_points(centroids, 2)))
    api(walidata).post("/api/v1/datasets/sekolah/versions/1/approve/", {}, format="json")
    upload(producer, "sekolah", "v2.geojson", geojson(_school_points(centroids, 4)))
    dataset = Dataset.objects.get(slug="sekolah")
    assert dataset.published_version.number == 1   # v2 waits for the walidata
    api(walidata).post("/api/v1/datasets/sekolah/versions/2/approve/", {}, format="json")
    dataset.refresh_from_db()
    assert dataset.published_version.number == 2
    assert dict(dataset.versions.values_list("number", "state")) == {1: "superseded", 2: "approved"}
    assert DatasetFeature.objects.filter(version__number=1).count() == 2


def test_new_version_must_keep_field_types(producer, agency, centroids):
    create_dataset(producer, agency)
    upload(producer, "sekolah", "v1.geojson", geojson(_school_points(centroids, 2)))
    _c, lon, lat = centroids[0]
    response = upload(producer, "sekolah", "v2.geojson", geojson([point(lon, lat, nama="x", murid="banyak")]))
    assert response.status_code == 400
    assert "bilangan bulat" in response.json()["report"]["errors"][0]["messages"][0]


def test_berkala_dataset_flagged_six_months_after_approval(producer, walidata, agency, centroids):
    create_dataset(producer, agency, kip_class="berkala", legal_basis="UU 14/2008 Pasal 9 ayat (2) huruf b")
    upload(producer, "sekolah", "v1.geojson", geojson(_school_points(centroids, 2)))
    api(walidata).post("/api/v1/datasets/sekolah/versions/1/approve/", {}, format="json")
    version = DatasetVersion.objects.get()
    version.reviewed_at = timezone.make_aware(datetime.datetime(2026, 1, 31, 10))
    version.save()
    # 31 Jan + 6 months = 31 Jul.
    assert datasets_due_for_refresh(today=datetime.date(2026, 7, 30)) == []
    assert [d.slug for d in datasets_due_for_refresh(today=datetime.date(2026, 7, 31))] == ["sekolah"]
    mine = api(producer).get("/api/v1/datasets/?scope=mine").json()["results"][0]
    assert mine["refresh_due"] is True


def test_pages_show_the_report_and_let_the_walidata_approve(producer, walidata, agency, centroids):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    create_dataset(producer, agency)
    client = Client()
    client.force_login(producer)
    assert "Dataset OPD" in client.get("/data/opd/").content.decode()
    bad = geojson([point(*SINGKAWANG, nama="Jauh")])
    html = client.post("/data/opd/sekolah/", {"action": "upload",
                                              "file": SimpleUploadedFile("s.geojson", bad)}).content.decode()
    assert "Laporan validasi" in html and "di luar Kabupaten Kubu Raya" in html
    assert not DatasetVersion.objects.exists()
    client.post("/data/opd/sekolah/", {"action": "upload", "file": SimpleUploadedFile(
        "s.geojson", geojson(_school_points(centroids, 2)))})
    assert DatasetVersion.objects.get().state == "pending"
    client.post("/data/opd/sekolah/", {"action": "approve", "version": "1"})
    assert DatasetVersion.objects.get().state == "pending"   # a producer cannot approve
    walidata_client = Client()
    walidata_client.force_login(walidata)
    walidata_client.post("/data/opd/sekolah/", {"action": "approve", "version": "1", "note": "ok"})
    assert DatasetVersion.objects.get().state == "approved"
    stranger = Client()
    from accounts.services import user_create
    stranger.force_login(user_create(username="warga"))
    assert stranger.get("/data/opd/").status_code == 404
