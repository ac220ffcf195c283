"""A published dataset is a layer like any other: the registry, the OGC API
collection and its items, and vector tiles, only after the walidata's
approval, and without exempt fields."""
import mapbox_vector_tile
import morecantile
import pytest
from rest_framework.test import APIClient

from layers import registry

from .conftest import SECRET_NIK, api, create_dataset, geojson, point, upload


@pytest.fixture
def uploaded(producer, agency, centroids):
    create_dataset(producer, agency)
    _c, lon, lat = centroids[0]
    response = upload(producer, "sekolah", "s.geojson",
                      geojson([point(lon, lat, nama="SD Negeri 1", murid=120, nik_kepala=SECRET_NIK)]),
                      exempt_fields="nik_kepala")
    assert response.status_code == 201
    return lon, lat


@pytest.fixture
def private_tile_cache(settings, tmp_path):
    """Tiles cached by earlier runs must not answer for this test's database."""
    settings.TILES_REDIS_URL = ""


def test_registry_ogc_and_tiles_only_after_approval(uploaded, walidata, private_tile_cache,
                                                    django_capture_on_commit_callbacks):
    lon, lat = uploaded
    client = APIClient()
    tile = morecantile.tms.get("WebMercatorQuad").tile(lon, lat, 14)
    tile_url = f"/tiles/dataset-sekolah/14/{tile.x}/{tile.y}.mvt"
    assert registry.layer_get("dataset-sekolah") is None
    assert "dataset-sekolah" not in [layer.id for layer in registry.layers_public()]
    assert client.get("/ogc/collections/dataset-sekolah").status_code == 404
    assert client.get("/ogc/collections/dataset-sekolah/items").status_code == 404
    assert client.get(tile_url).status_code == 404

    # The tile invalidation runs on commit, as it does outside a test transaction.
    with django_capture_on_commit_callbacks(execute=True):
        api(walidata).post("/api/v1/datasets/sekolah/versions/1/approve/", {}, format="json")

    layer = registry.layer_get("dataset-sekolah")
    assert layer is not None and layer.fields == ["nama", "murid"]
    collection = client.get("/ogc/collections/dataset-sekolah", HTTP_ACCEPT="application/json")
    assert collection.status_code == 200
    items = client.get("/ogc/collections/dataset-sekolah/items", {"f": "json"})
    assert items.status_code == 200, items.content
    features = items.json()["features"]
    assert [f["properties"]["nama"] for f in features] == ["SD Negeri 1"]
    assert features[0]["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=1e-6)
    assert SECRET_NIK not in items.content.decode() and "nik_kepala" not in items.content.decode()
    response = client.get(tile_url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    decoded = mapbox_vector_tile.decode(body)
    [layer_name] = decoded
    [feature] = decoded[layer_name]["features"]
    assert feature["properties"]["nama"] == "SD Negeri 1"
    assert "nik_kepala" not in feature["properties"]

    # Withdrawn: the cached tile stops answering at once (tiles_invalidate_layer).
    from datasets.models import Dataset
    from datasets.services import dataset_unpublish
    with django_capture_on_commit_callbacks(execute=True):
        dataset_unpublish(dataset=Dataset.objects.get(slug="sekolah"), user=walidata)
    assert registry.layer_get("dataset-sekolah") is None
    assert client.get("/ogc/collections/dataset-sekolah/items").status_code == 404
    assert client.get(tile_url).status_code == 404
