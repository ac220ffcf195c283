"""Exempt datasets and exempt fields never leave: not through the policy SQL
(which tiles, exports and OGC items wrap), the public dataset list, the
choropleth, the layer registry, nor the Daftar Informasi Publik."""
import json

import pytest

from django.db import connection
from rest_framework.test import APIClient

from datasets.layers import dataset_layers
from datasets import policy as policy

from .conftest import SECRET_NIK, api, create_dataset, geojson, point, upload


def _public_texts(client=None) -> str:
    client = client or APIClient()
    texts = [client.get(url).content.decode() for url in
             ("/api/v1/datasets/", "/api/v1/datasets/choropleth/", "/api/v1/ppid/information/", "/informasi/")]
    for option in client.get("/api/v1/datasets/choropleth/").json()["results"]:
        texts.append(client.get(f"/api/v1/datasets/choropleth/{option['dataset']}/{option['field']}/")
                     .content.decode())
    return "\n".join(texts)


def _rows(dataset) -> list[dict]:
    sql, params = policy.dataset_public_sql(dataset)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM ({sql}) t", params)
        return [json.loads(r[0]) for r in cursor.fetchall()]


def test_exempt_field_never_leaves(producer, walidata, agency, desa_codes):
    create_dataset(producer, agency, slug="bansos", kind="desa")
    rows = ["kode_desa,penerima_bantuan,nik_koordinator,nama_koordinator"]
    rows += [f"{code},{10 + i},{SECRET_NIK},Ibu Rahmah Koordinator" for i, code in enumerate(desa_codes[:6])]
    response = upload(producer, "bansos", "bansos.csv", "\n".join(rows).encode(),
                      exempt_fields="nik_koordinator,nama_koordinator")
    assert response.status_code == 201, response.content
    api(walidata).post("/api/v1/datasets/bansos/versions/1/approve/", {}, format="json")
    dataset = policy.dataset_public_get(slug="bansos")
    public_rows = _rows(dataset)
    assert len(public_rows) == 6
    assert set(public_rows[0]) == {"id", "geom", "kode_wilayah", "nama_wilayah", "penerima_bantuan"}
    assert SECRET_NIK not in json.dumps(public_rows) and "Rahmah" not in json.dumps(public_rows)
    [layer] = [layer for layer in dataset_layers() if layer.id == "dataset-bansos"] or [None]
    if layer is not None:  # the registry's Layer class is on main
        assert "nik_koordinator" not in layer.fields and "nama_koordinator" not in layer.fields
        sql, params = layer.table_sql(None)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT row_to_json(t)::text FROM ({sql}) t", params)
            assert SECRET_NIK not in " ".join(r[0] for r in cursor.fetchall())
    texts = _public_texts()
    assert "penerima_bantuan" in texts           # the public field is there ...
    for secret in (SECRET_NIK, "Rahmah", "nik_koordinator", "nama_koordinator"):
        assert secret not in texts, secret      # ... the exempt ones are not
    # Marking a field exempt after publication withdraws it at once.
    api(producer).post("/api/v1/datasets/bansos/fields/", {"exempt": {"penerima_bantuan": True}}, format="json")
    dataset = policy.dataset_public_get(slug="bansos")
    assert "penerima_bantuan" not in _rows(dataset)[0]
    assert "penerima_bantuan" not in _public_texts()


def test_exempt_dataset_never_published_even_after_approval(producer, walidata, agency, centroids):
    create_dataset(producer, agency, slug="rumah-korban", kip_class="dikecualikan",
                   exemption_basis="17h", consequence_test="Lokasi rumah korban mengungkap identitas (17 h, 17 a 2).")
    _c, lon, lat = centroids[0]
    response = upload(producer, "rumah-korban", "k.geojson", geojson([point(lon, lat, nama="Rumah Ibu Rahmah")]))
    assert response.status_code == 201
    api(walidata).post("/api/v1/datasets/rumah-korban/versions/1/approve/", {}, format="json")
    assert list(policy.datasets_public()) == []
    assert dataset_layers() == []
    texts = _public_texts()
    assert "rumah-korban" not in texts and "Rahmah" not in texts
    # Even a direct read of the public projection holds no row of it, and
    # the SQL builder refuses the private model.
    from datasets.models import Dataset, DatasetFeature, PublicDataset, PublicDatasetFeature
    exempt = Dataset.objects.get(slug="rumah-korban")
    assert DatasetFeature.objects.filter(version__dataset=exempt).exists()
    assert not PublicDataset.objects.filter(pk=exempt.pk).exists()
    assert not PublicDatasetFeature.objects.filter(dataset_id=exempt.pk).exists()
    with pytest.raises(TypeError):
        policy.dataset_public_sql(exempt)


def test_public_feature_view_drops_exempt_properties_and_unapproved_versions(producer, walidata, agency,
                                                                            desa_codes):
    """The view itself (not only the SQL that names public fields) holds no
    exempt value and no row of a version the walidata has not approved."""
    from datasets.models import PublicDatasetFeature

    create_dataset(producer, agency, slug="bansos2", kind="desa")
    rows = ["kode_desa,penerima,nik_koordinator"] + [f"{code},{i},{SECRET_NIK}" for i, code in
                                                      enumerate(desa_codes[:3])]
    upload(producer, "bansos2", "b.csv", "\n".join(rows).encode(), exempt_fields="nik_koordinator")
    assert not PublicDatasetFeature.objects.exists()          # v1 not approved yet
    api(walidata).post("/api/v1/datasets/bansos2/versions/1/approve/", {}, format="json")
    props = list(PublicDatasetFeature.objects.values_list("properties", flat=True))
    assert len(props) == 3 and all(set(p) == {"penerima"} for p in props), props


def test_exempt_dataset_requires_basis_and_consequence_test(producer, agency):
    response = api(producer).post("/api/v1/datasets/", {
        "slug": "x", "title": "x", "description": "x", "kind": "spatial", "producer": agency.code,
        "frequency": "tahunan", "kip_class": "dikecualikan", "legal_basis": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "exemption_basis_required"


def test_choropleth_of_a_numeric_desa_field(producer, walidata, agency, desa_codes):
    create_dataset(producer, agency, slug="stunting", kind="desa")
    rows = ["kode_desa,balita_stunting,catatan"] + [f"{c},{i},ok" for i, c in enumerate(desa_codes[:5])]
    upload(producer, "stunting", "s.csv", "\n".join(rows).encode())
    client = APIClient()
    assert client.get("/api/v1/datasets/choropleth/").json()["results"] == []
    assert client.get("/api/v1/datasets/choropleth/stunting/balita_stunting/").status_code == 404
    api(walidata).post("/api/v1/datasets/stunting/versions/1/approve/", {}, format="json")
    options = client.get("/api/v1/datasets/choropleth/").json()["results"]
    assert [(o["dataset"], o["field"]) for o in options] == [("stunting", "balita_stunting")]
    values = client.get("/api/v1/datasets/choropleth/stunting/balita_stunting/").json()
    assert values["values"] == {c: i for i, c in enumerate(desa_codes[:5])}
    assert (values["min"], values["max"]) == (0, 4)
    assert client.get("/api/v1/datasets/choropleth/stunting/catatan/").status_code == 404
