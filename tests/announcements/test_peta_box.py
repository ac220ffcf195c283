"""Issue 21: the announcements box of /peta/ speaks the page's language -
Bahasa Indonesia first, English by Accept-Language: en or the language
switch - from the catalogs (portal/locale/en), not from strings in the script."""
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

INDONESIAN = {"Pengumuman", "Ikuti pengumuman di sekitar sini", "Tempat ini diikuti", "Notifikasi tidak tersedia",
              "Tidak ada pengumuman aktif", "Selengkapnya"}
ENGLISH = {"Announcements", "Follow announcements around here", "Following this place",
           "Notifications are not available", "No active announcements", "Details"}


def _box_texts(response) -> set[str]:
    assert response.status_code == 200
    html = response.content.decode()
    box = re.search(r'<div id="announcements-box".*?</div>', html, re.S).group(0)
    texts = set(re.findall(r'data-(?:ok|fail|none|more)="([^"]+)"', box))
    texts |= {t.strip() for t in re.findall(r">([^<>]+)<", box) if t.strip()}
    return texts


def test_the_box_speaks_indonesian_by_default(kubu_raya):
    assert _box_texts(Client().get("/peta/")) == INDONESIAN


def test_the_box_speaks_english_with_accept_language(kubu_raya):
    assert _box_texts(Client(HTTP_ACCEPT_LANGUAGE="en").get("/peta/")) == ENGLISH


def test_the_box_follows_the_language_switch(kubu_raya):
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/peta/"}).status_code == 302
    assert _box_texts(client.get("/peta/")) == ENGLISH
    client.post("/i18n/setlang/", {"language": "id", "next": "/peta/"})
    assert _box_texts(client.get("/peta/")) == INDONESIAN


def test_the_script_carries_no_sentence_of_either_language():
    from django.contrib.staticfiles import finders

    script = open(finders.find("announcements/peta-pengumuman.js"), encoding="utf-8").read()
    for text in INDONESIAN | ENGLISH:
        assert f'"{text}"' not in script, text
