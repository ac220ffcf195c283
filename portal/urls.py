"""URLs of this app, with their full paths (config.urls mounts every app at /)."""
from django.urls import path, re_path

from residents import views as resident_views

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("peta/", views.peta, name="peta"),
    path("peta/wilayah/<str:level>.geojson", views.peta_wilayah, name="peta-wilayah"),
    path("peta/wilayah/<str:level>.garis.json", views.peta_wilayah_garis, name="peta-wilayah-garis"),
    path("peta/jumlah.json", views.peta_jumlah, name="peta-jumlah"),
    path("peta/cari", views.peta_cari, name="peta-cari"),
    path("lapor/", views.lapor, name="lapor"),
    path("lapor/tujuan.json", views.lapor_tujuan, name="lapor-tujuan"),
    path("lacak/", views.lacak_cari, name="lacak-cari"),
    path("lacak/<str:code>/", views.lacak, name="lacak"),
    path("lacak/<str:code>/sanggah/", views.lacak_sanggah, name="lacak-sanggah"),
    path("lacak/<str:code>/foto/<int:photo_id>/", views.lacak_foto, name="lacak-foto"),
    path("laporan-saya/", resident_views.laporan_saya, name="laporan-saya"),
    path("dasbor/", views.dasbor, name="dasbor"),
    path("dasbor/cetak/", views.dasbor, {"printable": True}, name="dasbor-cetak"),
    path("masuk/", views.Masuk.as_view(), name="masuk"),
    path("keluar/", views.Keluar.as_view(), name="keluar"),
    path("kerja/", views.kerja, name="kerja"),
    path("kerja/laporan/<uuid:report_id>/", views.kerja_laporan, name="kerja-laporan"),
    path("kerja/dekat/", views.kerja_dekat, name="kerja-dekat"),
    path("kerja/dpo/", views.kerja_dpo, name="dpo"),
    path("kerja/umkm/", views.kerja_umkm, name="umkm-verifikasi"),
    path("perencana/", views.perencana, name="perencana"),
    path("perencana/cetak/", views.perencana_cetak, name="perencana-cetak"),
    re_path(r"^perencana/unduh\.(?P<fmt>geojson|csv|gpkg)$", views.perencana_unduh, name="perencana-unduh"),
]
