"""The English catalogs of the resident-facing pages are complete and clean,
and a page in one language carries no sentence of the other.

A catalog entry fails when its msgstr is empty, fuzzy, or says a sentence
twice; a page fails when its visible text (scripts, styles and the names of
places and agencies left out) holds words that only the other language uses."""
import json
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from geo.models import Agency, Area
from reports.services import categories_seed, report_submit

CATALOGS = [Path(settings.BASE_DIR) / p for p in ("portal/locale/en/LC_MESSAGES/django.po",
                                                  "residents/locale/en/LC_MESSAGES/django.po")]


def _entries(path: Path):
    """(msgid, [msgstr...], fuzzy) of each entry but the header."""
    def text(lines):
        return "".join(json.loads(line[line.index('"'):]) for line in lines)
    for block in path.read_text().split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith("msg"):
                current = line.split(" ", 1)[0]
                fields[current] = [line]
            elif line.startswith('"') and current:
                fields[current].append(line)
        if "msgid" not in fields:
            continue
        msgid = text(fields["msgid"])
        if msgid == "":
            continue
        strs = [text(v) for k, v in fields.items() if k.startswith("msgstr")]
        yield msgid, strs, fuzzy


def _sentences(value: str) -> list[str]:
    return [s.strip().lower() for s in re.split(r"(?<=[.!?:])\s+", value) if len(s.strip()) > 8]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_catalog_has_no_empty_fuzzy_or_doubled_translation(path):
    problems = []
    for msgid, strs, fuzzy in _entries(path):
        if fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        for value in strs:
            if not value.strip():
                problems.append(f"empty: {msgid!r}")
            sentences = _sentences(value)
            if len(sentences) != len(set(sentences)):
                problems.append(f"doubled: {msgid!r} -> {value!r}")
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_are_for(tmp_path):
    bad = tmp_path / "django.po"
    bad.write_text('msgid ""\nmsgstr ""\n\nmsgid "Satu"\nmsgstr ""\n\n#, fuzzy\nmsgid "Dua"\nmsgstr "Two"\n\n'
                   'msgid "Tiga kalimat."\nmsgstr "Tap the map here. Tap the map here."\n')
    found = {(msgid, fuzzy, tuple(strs)) for msgid, strs, fuzzy in _entries(bad)}
    assert ("Satu", False, ("",)) in found and ("Dua", True, ("Two",)) in found
    assert len(set(_sentences("Tap the map here. Tap the map here."))) == 1


# Words that only one of the two languages uses (short, common, unambiguous).
INDONESIAN = {"yang", "dan", "untuk", "dengan", "tidak", "laporan", "dari", "ini", "atau", "anda", "kirim",
              "lokasi", "peta", "masuk", "belum", "sudah", "akan", "cari", "desa", "kode"}
ENGLISH = {"the", "and", "your", "with", "report", "reports", "send", "from", "this", "location", "map",
           "sign", "not", "search", "village", "code", "you"}
WORD = re.compile(r"[a-zA-Z]+")


def _visible_text(html: str, names: list[str]) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    # data as its producer wrote it (titles, licences), marked translate="no"
    html = re.sub(r"<span translate=\"no\">.*?</span>", " ", html, flags=re.S)
    html = re.sub(r"<option [^>]*value=\"(id|en)\"[^>]*>.*?</option>", " ", html)  # the language picker
    text = re.sub(r"<[^>]+>", " ", html)
    text = re.sub(r"&[a-z#0-9]+;", " ", text)
    for name in names:
        text = text.replace(name, " ")
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def pages(kubu_raya):
    categories_seed()
    from geo.selectors import desa_centroids
    _code, lon, lat = next(iter(desa_centroids()))
    report = report_submit(report_id=uuid.uuid4(), category_code="flood", lon=lon, lat=lat,
                           description="Banjir setinggi lutut").report
    names = sorted({a.name for a in Agency.objects.all()} | {a.name for a in Area.objects.all()}
                   | {"Kubu Raya", "RT Online", "WhatsApp", "SMS", "E-mail", "Basarnas", "PPID", "UMKM", "API",
                      "SAPA", "PSC", "KIP", "PDP", "UU"} | {report.description}, key=len, reverse=True)
    return ["/", "/lapor/", "/lacak/", f"/lacak/{report.tracking_code}/", "/laporan-saya/", "/warga/masuk/",
            "/masuk/", "/peta/", "/dasbor/"], names


@pytest.mark.django_db
@pytest.mark.parametrize("language,foreign", [("en", INDONESIAN), ("id", ENGLISH)])
def test_a_page_speaks_one_language(pages, language, foreign):
    paths, names = pages
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    problems = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        text = _visible_text(response.content.decode(), names)
        found = [m for m in WORD.finditer(text) if m.group().lower() in foreign]
        if found:
            problems[path] = [text[max(0, m.start() - 40):m.end() + 20] for m in found]
    assert not problems, f"{language} pages with words of the other language: {problems}"
