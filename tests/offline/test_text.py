"""The offline scripts' and the service worker's words: Bahasa Indonesia
first, English from offline/locale/en, handed over the portal's way (JSON in
the page, both catalogs in /sw.js)."""
import json
import re

import pytest
from django.utils import translation

from offline.text import OFFLINE_TEXT, offline_text

pytestmark = pytest.mark.django_db


def _page_catalog(response) -> dict:
    html = response.content.decode()
    found = re.search(r'<script id="offline-text" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no offline-text catalog in the page"
    return json.loads(found.group(1))


def test_every_word_has_an_english_translation():
    with translation.override("en"):
        english = offline_text()
    with translation.override("id"):
        indonesian = offline_text()
    untranslated = [key for key in OFFLINE_TEXT if english[key] == indonesian[key]]
    assert untranslated == []
    # the templates keep their placeholders in both languages
    for key in OFFLINE_TEXT:
        assert sorted(re.findall(r"%\((\w+)\)s", english[key])) == sorted(re.findall(r"%\((\w+)\)s", indonesian[key]))
    assert english["statuses"]["resolved"] != indonesian["statuses"]["resolved"] == "Selesai"


def test_pages_carry_the_catalog_in_their_language(client, kubu_raya):
    catalog = _page_catalog(client.get("/lapor/", HTTP_ACCEPT_LANGUAGE="id"))
    assert catalog["cached_page"].startswith("Anda offline") and catalog["statuses"]["resolved"] == "Selesai"
    english = _page_catalog(client.get("/lapor/", HTTP_ACCEPT_LANGUAGE="en"))
    assert english["cached_page"].startswith("You are offline") and english["locale"] == "en-GB"
    assert english["queued"].startswith("The report is saved on this phone")


def test_the_service_worker_speaks_each_requests_language(client):
    body = client.get("/sw.js").content.decode()
    text = json.loads(re.search(r"var TEXT = (\{.*?\});\n", body, re.S).group(1))
    assert set(text) == {"id", "en"}
    assert text["id"]["queued"].startswith("Laporan tersimpan di ponsel")
    assert text["en"]["queued"].startswith("The report is saved on this phone")
    assert "__" not in body.split("*/", 1)[1]   # every placeholder filled
    assert re.search(r'importScripts\("/static/offline/sync[.\w]*\.js"\)', body)
