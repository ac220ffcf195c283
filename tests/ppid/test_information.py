"""The Daftar Informasi Publik lists published layers and registered
documents with where to get them, and nothing exempt."""
from rest_framework.test import APIClient

from ppid.models import PublicDocument
from tests.datasets.conftest import api, create_dataset, geojson, point, upload


def test_dip_lists_documents_and_published_datasets_only(kubu_raya, django_user_model):
    from accounts.models import Role
    from accounts.services import membership_grant, user_create
    from geo.models import Agency
    from geo.selectors import desa_centroids
    agency = Agency.objects.order_by("code").first()
    producer = user_create(username="p")
    membership_grant(user=producer, role=Role.DATA_PRODUCER, agency=agency)
    walidata = user_create(username="w")
    membership_grant(user=walidata, role=Role.WALIDATA)
    PublicDocument.objects.create(title="Rencana Kerja Pemerintah Daerah 2026", kip_class="setiap_saat",
                                  agency=agency, format="PDF", url="https://kuburayakab.go.id/rkpd-2026.pdf")
    PublicDocument.objects.create(title="LKPJ Bupati 2025", kip_class="berkala", where_to_get="Meja layanan PPID")
    PublicDocument.objects.create(title="Draf yang belum dicantumkan", kip_class="setiap_saat", is_listed=False)
    _c, lon, lat = desa_centroids()[0]
    create_dataset(producer, agency, slug="sekolah", kip_class="berkala", legal_basis="UU 14/2008 Pasal 9")
    upload(producer, "sekolah", "s.geojson", geojson([point(lon, lat, nama="SDN 1")]))
    create_dataset(producer, agency, slug="belum-disetujui")
    upload(producer, "belum-disetujui", "s.geojson", geojson([point(lon, lat, nama="SDN 2")]))
    create_dataset(producer, agency, slug="rahasia", kip_class="dikecualikan", exemption_basis="17h",
                   consequence_test="x")
    upload(producer, "rahasia", "s.geojson", geojson([point(lon, lat, nama="SDN 3")]))
    for slug in ("sekolah", "rahasia"):
        api(walidata).post(f"/api/v1/datasets/{slug}/versions/1/approve/", {}, format="json")

    body = APIClient().get("/api/v1/ppid/information/").json()
    ids = [entry["id"] for entry in body["layers"]]
    assert "dataset-sekolah" in ids
    assert "dataset-belum-disetujui" not in ids and "dataset-rahasia" not in ids
    sekolah = next(e for e in body["layers"] if e["id"] == "dataset-sekolah")
    assert sekolah["kip_class"] == "berkala" and sekolah["legal_basis"] == "UU 14/2008 Pasal 9"
    titles = [d["title"] for d in body["documents"]]
    assert titles == ["LKPJ Bupati 2025", "Rencana Kerja Pemerintah Daerah 2026"]
    assert body["documents"][1]["where"] == {"url": "https://kuburayakab.go.id/rkpd-2026.pdf"}
    assert body["documents"][0]["where"] == {"office": "Meja layanan PPID"}
    html = APIClient().get("/informasi/").content.decode()
    assert "Daftar Informasi Publik" in html and "Dataset sekolah" in html and "LKPJ Bupati 2025" in html
    assert "rahasia" not in html and "belum-disetujui" not in html and "Draf yang belum" not in html


def test_maklumat_pelayanan_is_on_the_ppid_page(db):
    html = APIClient().get("/ppid/").content.decode()
    assert "Maklumat Pelayanan" in html and "10 hari kerja" in html
