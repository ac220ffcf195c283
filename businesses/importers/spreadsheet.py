"""Import the agency's business spreadsheets (CSV or XLSX).

Every row is checked first (name, NIB, KBLI codes, coordinates inside the
regency, duplicates within the file and against the directory) and a
per-row report is produced. Nothing is written on a dry run, nor when any
row is invalid unless `skip_invalid` is given; writing happens in one
transaction through businesses.services, the same path as the API.
"""
import csv
import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from common.api_errors import ApiError
from geo.selectors import points_assign_desa

from .. import services
from ..models import BusinessConsent, Certificate, KbliCode, KbliEdition, ScaleRule

FIELDS = ["name", "description", "products", "nib", "kbli", "lon", "lat", "capital_idr", "annual_sales_idr",
          "established_on", "is_home_based", "owner_name", "owner_nik", "owner_address", "owner_phone",
          "whatsapp", "halal_number", "pirt_number", "exact_location_consent", "listing_consent"]

# Header aliases seen in the agency's sheets (lower-cased, spaces -> _).
ALIASES = {
    "nama_usaha": "name", "nama": "name", "deskripsi": "description", "keterangan": "description",
    "produk": "products", "kbli_2020": "kbli", "kode_kbli": "kbli", "longitude": "lon", "bujur": "lon",
    "x": "lon", "latitude": "lat", "lintang": "lat", "y": "lat", "modal": "capital_idr",
    "modal_usaha": "capital_idr", "aset": "capital_idr", "omzet": "annual_sales_idr",
    "omzet_tahunan": "annual_sales_idr", "penjualan_tahunan": "annual_sales_idr",
    "tanggal_berdiri": "established_on", "usaha_rumahan": "is_home_based", "nama_pemilik": "owner_name",
    "nik": "owner_nik", "nik_pemilik": "owner_nik", "alamat_pemilik": "owner_address",
    "telepon_pemilik": "owner_phone", "hp_pemilik": "owner_phone", "wa": "whatsapp",
    "no_halal": "halal_number", "nomor_halal": "halal_number", "no_pirt": "pirt_number",
    "nomor_pirt": "pirt_number", "izin_lokasi_persis": "exact_location_consent",
    "izin_tampil": "listing_consent", "izin_tampil_publik": "listing_consent",
}
TRUE_WORDS = {"1", "ya", "y", "yes", "true", "benar"}
DUPLICATE_RADIUS_M = 50.0


@dataclass
class RowProblem:
    line: int
    code: str
    message: str


@dataclass
class ImportResult:
    total: int = 0
    valid: int = 0
    written: int = 0
    committed: bool = False
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def invalid_lines(self) -> set[int]:
        return {p.line for p in self.problems}


def parse_mapping(text: str | None) -> dict[str, str]:
    """"kolom_a=name,kolom_b=lon" -> {"kolom_a": "name", ...} (header -> field)."""
    mapping = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        if "=" not in part:
            raise ValueError(f"mapping entry {part!r} is not header=field")
        header, target = (s.strip() for s in part.split("=", 1))
        if target not in FIELDS:
            raise ValueError(f"unknown field {target!r}; known: {', '.join(FIELDS)}")
        mapping[_key(header)] = target
    return mapping


def _key(header) -> str:
    return re.sub(r"\s+", "_", str(header or "").strip().lower())


def read_rows(path: Path, *, sheet: str | None = None) -> tuple[list[str], list[tuple[int, list]]]:
    """Headers and (line number, values) of a CSV or XLSX file."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        headers = [str(h or "") for h in next(rows, [])]
        data = [(i, list(r)) for i, r in enumerate(rows, start=2) if any(v not in (None, "") for v in r)]
        wb.close()
        return headers, data
    with path.open(newline="", encoding="utf-8-sig") as f:
        sample = f.read(4096)
        f.seek(0)
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
        reader = csv.reader(f, dialect)
        headers = next(reader, [])
        return headers, [(i, r) for i, r in enumerate(reader, start=2) if any(v.strip() for v in r)]


def _records(headers: list[str], rows: Iterable[tuple[int, list]], mapping: dict[str, str]):
    columns = []
    for h in headers:
        k = _key(h)
        columns.append(mapping.get(k) or (k if k in FIELDS else ALIASES.get(k)))
    for line, values in rows:
        record = {}
        for col, value in zip(columns, values):
            if col:
                record[col] = value.strip() if isinstance(value, str) else value
        yield line, record


def _number(value) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return float(str(value).replace(" ", "").replace(",", "."))


def _amount(value) -> int | None:
    """Rupiah amounts: '1.500.000', 'Rp 1,500,000' and 1500000 are all 1,500,000."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    digits = re.sub(r"[^0-9]", "", str(value))
    if not digits:
        raise ValueError(value)
    return int(digits)


def _date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.datetime.strptime(str(value), fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


# Bulk duplicate check against the directory: one statement for the whole
# file (unnest), which the ORM cannot express. Same NIB and same normalised
# name, or a very similar name within DUPLICATE_RADIUS_M metres (geography,
# served by the functional index on location::geography).
_DUPLICATES_SQL = """
SELECT t.ord, b.id
  FROM unnest(%(names)s::text[], %(nibs)s::text[], %(lons)s::float8[], %(lats)s::float8[])
       WITH ORDINALITY AS t(name, nib, lon, lat, ord)
  JOIN LATERAL (
        SELECT b.id FROM businesses_business b
         WHERE b.status = 'active'
           AND ((t.nib <> '' AND b.nib = t.nib
                 AND businesses_normalise(b.name) = businesses_normalise(t.name))
             OR (ST_DWithin(b.location::geography,
                            ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)::geography, %(radius)s)
                 AND similarity(businesses_normalise(b.name), businesses_normalise(t.name)) >= 0.8))
         LIMIT 1) b ON true
"""


def _normalise_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def validate(records: list[tuple[int, dict]], *, kbli_edition: str,
             progress: Callable[[int], None] | None = None) -> tuple[list[tuple[int, dict]], list[RowProblem]]:
    """Parsed rows ready for services.business_create, and the problems."""
    known_kbli = set(KbliCode.objects.filter(edition=kbli_edition).values_list("code", flat=True))
    problems: list[RowProblem] = []
    parsed: list[tuple[int, dict]] = []
    for line, r in records:
        errors = []
        row = {"line": line}
        row["name"] = str(r.get("name") or "").strip()
        if not row["name"]:
            errors.append(("name_required", _("Nama usaha kosong.")))
        try:
            row["nib"] = services.nib_normalise(r.get("nib"))
        except ApiError:
            errors.append(("invalid_nib", _("NIB %(nib)s bukan 13 digit angka.") % {"nib": r.get("nib")}))
        codes = [c for c in re.split(r"[,;\s]+", str(r.get("kbli") or "")) if c]
        codes = [c.zfill(5) if c.isdigit() and len(c) == 4 else c for c in codes]  # Excel drops a leading 0
        unknown = [c for c in codes if c not in known_kbli]
        if unknown:
            errors.append(("unknown_kbli", _("Kode KBLI %(edition)s tidak dikenal: %(codes)s.")
                           % {"edition": kbli_edition, "codes": ", ".join(unknown)}))
        row["kbli_codes"] = codes
        try:
            row["lon"], row["lat"] = _number(r.get("lon")), _number(r.get("lat"))
            if row["lon"] is None or row["lat"] is None:
                raise ValueError
        except ValueError:
            row["lon"] = row["lat"] = None
            errors.append(("invalid_location", _("Koordinat kosong atau bukan angka.")))
        try:
            row["capital_idr"] = _amount(r.get("capital_idr"))
            row["annual_sales_idr"] = _amount(r.get("annual_sales_idr"))
        except ValueError:
            errors.append(("invalid_amount", _("Modal atau omzet bukan angka.")))
        try:
            row["established_on"] = _date(r.get("established_on"))
        except ValueError:
            errors.append(("invalid_date", _("Tanggal berdiri tidak dikenali (YYYY-MM-DD atau DD/MM/YYYY).")))
        pirt = re.sub(r"[\s.\-]", "", str(r.get("pirt_number") or ""))
        if pirt and not services.PIRT_RE.match(pirt):
            errors.append(("invalid_pirt", _("Nomor P-IRT %(n)s bukan 15 digit angka.") % {"n": pirt}))
        row["pirt_number"] = pirt
        row["halal_number"] = str(r.get("halal_number") or "").strip()
        nik = str(r.get("owner_nik") or "").strip()
        if nik and not re.fullmatch(r"[0-9]{16}", nik):
            errors.append(("invalid_nik", _("NIK pemilik bukan 16 digit angka.")))
        row.update(
            description=str(r.get("description") or ""), products=str(r.get("products") or ""),
            is_home_based=str(r.get("is_home_based") or "").strip().lower() in TRUE_WORDS,
            exact_location_consent=str(r.get("exact_location_consent") or "").strip().lower() in TRUE_WORDS,
            listing_consent=str(r.get("listing_consent") or "").strip().lower() in TRUE_WORDS,
            owner_name=str(r.get("owner_name") or "").strip(), owner_nik=nik,
            owner_address=str(r.get("owner_address") or ""), owner_phone=str(r.get("owner_phone") or ""),
            whatsapp=str(r.get("whatsapp") or "").strip(),
        )
        problems.extend(RowProblem(line, code, str(msg)) for code, msg in errors)
        parsed.append((line, row))
    if progress:
        progress(len(records) // 2)

    located = [(line, row) for line, row in parsed if row["lon"] is not None]
    if located:
        assigned = points_assign_desa(lons=[r["lon"] for _, r in located], lats=[r["lat"] for _, r in located])
        for (line, row), desa_id in zip(located, assigned.desa_ids):
            if desa_id is None:
                problems.append(RowProblem(line, "outside_regency", _(
                    "Titik (%(lon)s, %(lat)s) di luar wilayah Kabupaten Kubu Raya.")
                    % {"lon": row["lon"], "lat": row["lat"]}))
        with connection.cursor() as cursor:
            cursor.execute(_DUPLICATES_SQL, {
                "names": [r["name"] for _, r in located], "nibs": [r["nib"] if "nib" in r else "" for _, r in located],
                "lons": [r["lon"] for _, r in located], "lats": [r["lat"] for _, r in located],
                "radius": DUPLICATE_RADIUS_M})
            for ord_, business_id in cursor.fetchall():
                line = located[ord_ - 1][0]
                problems.append(RowProblem(line, "duplicate_existing", _(
                    "Sama dengan usaha yang sudah terdaftar (id %(id)s).") % {"id": business_id}))
    seen: dict[tuple, int] = {}
    for line, row in parsed:
        keys = [("name_point", _normalise_name(row["name"]), round(row["lon"] or 0, 4), round(row["lat"] or 0, 4))]
        if row.get("nib"):
            keys.append(("nib_name", row["nib"], _normalise_name(row["name"])))
        for key in keys:
            if key in seen:
                problems.append(RowProblem(line, "duplicate_in_file", _(
                    "Baris ini sama dengan baris %(line)d.") % {"line": seen[key]}))
                break
        for key in keys:
            seen.setdefault(key, line)
    if progress:
        progress(len(records) - len(records) // 2)
    problems.sort(key=lambda p: (p.line, p.code))
    return parsed, problems


def run(*, path: Path, mapping: dict[str, str] | None = None, sheet: str | None = None, commit: bool = False,
        skip_invalid: bool = False, kbli_edition: str = KbliEdition.KBLI_2020,
        scale_rule: str = ScaleRule.PP_7_2021, actor=None,
        progress_factory: Callable[[int, str], Callable[[int], None]] | None = None) -> ImportResult:
    headers, rows = read_rows(path, sheet=sheet)
    records = list(_records(headers, rows, mapping or {}))
    result = ImportResult(total=len(records))
    tick = progress_factory(len(records), "periksa") if progress_factory else None
    parsed, result.problems = validate(records, kbli_edition=kbli_edition, progress=tick)
    bad = result.invalid_lines
    good = [(line, row) for line, row in parsed if line not in bad]
    result.valid = len(good)
    if not commit or (bad and not skip_invalid):
        return result
    tick = progress_factory(len(good), "tulis") if progress_factory else None
    source = f"import:{Path(path).name}"[:100]
    with transaction.atomic():
        for line, row in good:
            owner = None
            if row["owner_name"]:
                owner = services.owner_create(name=row["owner_name"], nik=row["owner_nik"],
                                              home_address=row["owner_address"], phone=row["owner_phone"])
            business = services.business_create(
                actor=actor, owner=owner, name=row["name"], lon=row["lon"], lat=row["lat"],
                description=row["description"], products=row["products"], nib=row["nib"],
                kbli_codes=row["kbli_codes"], kbli_edition=kbli_edition, capital_idr=row["capital_idr"],
                annual_sales_idr=row["annual_sales_idr"], established_on=row["established_on"],
                scale_rule=scale_rule, is_home_based=row["is_home_based"],
                contacts=[{"kind": "whatsapp", "value": row["whatsapp"]}] if row["whatsapp"] else [],
                exact_location_consent=((BusinessConsent.Channel.IMPORT, datetime.datetime.now(datetime.UTC))
                                        if row["exact_location_consent"] else None),
                listing_consent=((BusinessConsent.Channel.IMPORT, datetime.datetime.now(datetime.UTC))
                                 if row["listing_consent"] else None),
                source=source)
            for kind, number in ((Certificate.Kind.HALAL, row["halal_number"]),
                                 (Certificate.Kind.PIRT, row["pirt_number"])):
                if number:
                    Certificate.objects.create(business=business, kind=kind, number=number)
            result.written += 1
            if tick:
                tick(1)
    result.committed = True
    return result
