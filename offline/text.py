"""The words of the offline app's scripts (offline.js, outbox.js,
register.js) and of the service worker, in the portal's way: gettext here,
English from offline/locale/en, handed to the scripts as JSON
(`{% offline_text %}` renders <script id="offline-text">; /sw.js embeds the
catalog of every language and picks one by the request's Accept-Language).
Templates with %(name)s are filled by the scripts."""
from django.utils import translation
from django.utils.translation import gettext_lazy as _

OFFLINE_TEXT = {
    # time and sizes
    "just_now": _("baru saja"),
    "minutes_ago": _("%(n)s menit lalu"),
    "hours_ago": _("%(n)s jam lalu"),
    "days_ago": _("%(n)s hari lalu"),
    "locale": _("id-ID"),
    "decimal": _(","),
    # every page: a page served from the phone
    "cached_page": _("Anda offline. Halaman ini tersimpan di ponsel, terakhir diperbarui %(age)s (%(time)s WIB)."),
    "sent_status": _("%(status)s (dikirim dari ponsel ini %(age)s)"),
    "pending_status": _("%(status)s (menunggu sinyal)"),
    # residents: reports filed offline (/lapor/)
    "queued": _("Laporan tersimpan di ponsel ini dan akan dikirim otomatis saat ada sinyal. Anda boleh menutup halaman ini."),
    "outbox_title": _("Menunggu sinyal"),
    "outbox_item": _("Laporan %(category)s, disimpan %(age)s"),
    "outbox_sent": _("Laporan yang Anda simpan saat offline sudah terkirim. Kode lacak: %(code)s"),
    "outbox_refused": _("Laporan yang Anda simpan saat offline ditolak: %(message)s"),
    # residents: answers on a tracking page made offline (confirm, dispute, follow)
    "answer_confirm": _("Konfirmasi \"sudah beres\""),
    "answer_dispute": _("Keberatan Anda"),
    "answer_follow": _("Permintaan mengikuti laporan"),
    "answer_unfollow": _("Permintaan berhenti mengikuti"),
    "answer_waiting": _("%(answer)s tersimpan di ponsel ini (%(age)s) dan dikirim otomatis saat ada sinyal."),
    "answer_refused": _("Jawaban yang Anda simpan saat offline ditolak: %(message)s"),
    # the crew's page (/kerja/offline/)
    "fresh": _("Data diambil %(age)s (%(time)s WIB)"),
    "no_package": _("Belum ada data offline di ponsel ini."),
    "waiting": _("menunggu sinyal"),
    "photo_alt": _("Foto laporan"),
    "navigate": _("Navigasi"),
    "new_status": _("Status baru"),
    "note_only": _("Hanya catatan"),
    "note_placeholder": _("Catatan lapangan"),
    "save": _("Simpan"),
    "need_note": _("Tulis catatan atau pilih status."),
    "saved_sending": _("Disimpan; mengirim..."),
    "saved_offline": _("Disimpan di ponsel; dikirim saat ada sinyal."),
    "sent_n": _("Terkirim: %(n)s tindakan."),
    "not_sent": _("Belum terkirim; dicoba lagi saat ada sinyal."),
    "fetching": _("Mengambil paket..."),
    "package_size": _("Ukuran paket sekitar %(size)s (batas %(budget)s): %(reports)s laporan, %(desa)s desa, "
                      "%(tiles)s ubin peta dasar."),
    "ready": _("Siap offline (%(size)s)."),
    "fetch_failed": _("Gagal mengambil paket: %(error)s"),
    "no_location": _("Lokasi tidak tersedia."),
    "offline_now": _("Offline: tindakan disimpan di ponsel."),
    "your_position": _("Posisi Anda"),
}


def _statuses() -> dict:
    from reports.models import Report

    return {value: str(label) for value, label in Report.Status.choices}


def offline_text() -> dict:
    """The catalog in the active language."""
    text = {key: str(value) for key, value in OFFLINE_TEXT.items()}
    text["statuses"] = _statuses()
    return text


def offline_text_all() -> dict:
    """Every language's catalog (for the service worker, which serves pages
    and answers in the language each request asks for)."""
    from django.conf import settings

    catalogs = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            catalogs[code] = offline_text()
    return catalogs
