"""URLs of this app, with their full paths (config.urls mounts every app at /).
"Laporan saya" itself is portal:laporan-saya (portal/urls.py)."""
from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    path("warga/masuk/", views.warga_masuk, name="masuk"),
    path("warga/masuk/kode/", views.warga_kode, name="kode"),
    path("laporan-saya/perangkat.json", views.laporan_saya_perangkat, name="perangkat"),
    path("laporan-saya/saluran/", views.laporan_saya_saluran, name="saluran"),
    path("laporan-saya/hapus/", views.laporan_saya_hapus, name="hapus"),
    path("lacak/<str:code>/ikuti/", views.lacak_ikuti, name="ikuti"),
    path("lacak/<str:code>/pelapor.json", views.lacak_pelapor, name="pelapor"),
    path("lacak/<str:code>/konfirmasi/", views.lacak_konfirmasi, name="konfirmasi"),
    path("dukung/", views.dukung, name="dukung"),
    path("foto/<str:token>/", views.photo, name="photo"),
]
