"""OASIS CAP 1.2 for warnings and emergencies: one document per message
(Alert, Update, Cancel; the later ones reference the earlier), and an Atom
index of them. <area>: the target as <polygon>s (exterior rings, simplified
to a few hundred vertices) or a <circle> for a buffer around a point, in
WGS84 "lat,lon", with a <geocode> per Kemendagri code reached."""
import zoneinfo

from django.conf import settings
from django.db import connection
from lxml import etree

from .delivery import base_url
from .models import Announcement, Kind, Message

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
WIB = zoneinfo.ZoneInfo("Asia/Pontianak")
SEVERITY = {Kind.WARNING: ("Expected", "Severe", "Likely"), Kind.EMERGENCY: ("Immediate", "Extreme", "Observed")}
CAP_SIMPLIFY_DEG = 0.0005   # about 55 m, as the boundaries' simplified copy


def cap_time(dt) -> str:
    # CAP forbids "Z": the offset is written out (+07:00 for WIB).
    return dt.astimezone(WIB).replace(microsecond=0).isoformat()


def _polygons(a: Announcement) -> list[str]:
    if a.geom is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT string_agg(ST_Y(p.geom)::numeric(10,6) || ',' || ST_X(p.geom)::numeric(10,6), ' ' ORDER BY p.path)
              FROM (SELECT (d).path[1] AS ring, d AS dump
                      FROM (SELECT ST_Dump(ST_SimplifyPreserveTopology(ST_GeomFromEWKB(%s), %s)) AS d) AS x) AS polys,
                   LATERAL ST_DumpPoints(ST_ExteriorRing((polys.dump).geom)) AS p
             GROUP BY polys.ring ORDER BY polys.ring""", [bytes(a.geom.ewkb), CAP_SIMPLIFY_DEG])
        return [r[0] for r in cursor.fetchall() if r[0] and r[0].count(" ") >= 3]


def _el(parent, tag, text=None):
    e = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        e.text = str(text)
    return e


def message_reference(m: Message) -> str:
    return f"{settings.ANNOUNCEMENTS_CAP_SENDER},{m.identifier},{cap_time(m.sent_at)}"


def cap_document(message: Message) -> bytes:
    a = message.announcement
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _el(root, "identifier", message.identifier)
    _el(root, "sender", settings.ANNOUNCEMENTS_CAP_SENDER)
    _el(root, "sent", cap_time(message.sent_at))
    _el(root, "status", "Actual")
    _el(root, "msgType", message.msg_type)
    _el(root, "source", a.agency.name if a.agency_id else (a.speaker_area.name if a.speaker_area_id else "Pemkab Kubu Raya"))
    _el(root, "scope", "Public")
    if message.note:
        _el(root, "note", message.note)
    earlier = list(a.messages.filter(sequence__lt=message.sequence).order_by("sequence"))
    if earlier:
        _el(root, "references", " ".join(message_reference(m) for m in earlier))
    urgency, severity, certainty = SEVERITY.get(a.kind, ("Expected", "Moderate", "Likely"))
    languages = [("id-ID", a.title_id, a.body_id)]
    if a.title_en:
        languages.append(("en-US", a.title_en, a.body_en or a.body_id))
    for lang, title, body in languages:
        info = _el(root, "info")
        _el(info, "language", lang)
        _el(info, "category", a.cap_category)
        _el(info, "event", title[:100])
        if message.msg_type == Message.MsgType.CANCEL:
            _el(info, "responseType", "AllClear")
        _el(info, "urgency", urgency)
        _el(info, "severity", severity)
        _el(info, "certainty", certainty)
        _el(info, "effective", cap_time(a.valid_from))
        _el(info, "expires", cap_time(a.valid_to))
        _el(info, "senderName", a.agency.name if a.agency_id else "Pemerintah Kabupaten Kubu Raya")
        _el(info, "headline", title[:160])
        _el(info, "description", body)
        _el(info, "web", f"{base_url()}/pengumuman/{a.public_id}/")
        area = _el(info, "area")
        _el(area, "areaDesc", ", ".join(a.target_codes) or _area_desc(a))
        if a.target_kind == Announcement.TargetKind.BUFFER and a.target_source is not None \
                and a.target_source.geom_type == "Point":
            _el(area, "circle", f"{a.target_source.y:.6f},{a.target_source.x:.6f} {a.target_buffer_m / 1000:.3f}")
        else:
            for ring in _polygons(a):
                _el(area, "polygon", ring)
        for code in a.reach_codes:
            geocode = _el(area, "geocode")
            _el(geocode, "valueName", "KEMENDAGRI")
            _el(geocode, "value", code)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _area_desc(a: Announcement) -> str:
    from geo.models import Area
    names = list(Area.objects.filter(code__in=[c for c in a.reach_codes if c.count(".") == 3 and "/" not in c],
                                     edition__is_current=True).values_list("name", flat=True)[:30])
    return ", ".join(names) or "Kabupaten Kubu Raya"


def cap_messages_public():
    return (Message.objects.filter(announcement__kind__in=[Kind.WARNING, Kind.EMERGENCY],
                                   announcement__status__in=[Announcement.Status.PUBLISHED, Announcement.Status.WITHDRAWN])
            .select_related("announcement", "announcement__agency", "announcement__speaker_area")
            .order_by("-sent_at", "-id"))
