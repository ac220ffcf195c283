"""JSON API of announcements and subscriptions. Thin: logic in services,
selectors, geometry; public shapes in announcements.policy."""
import uuid

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from common.throttles import SubmitRateThrottle
from common.api_errors import ApiError
from announcements import policy as policy

from . import services
from .models import Announcement, Attachment, Message
from .serializers import AnnouncementFeature



def _lang(request) -> str:
    return "en" if (get_language() or "").startswith("en") else "id"


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ApiError("not_found", _("Pengumuman tidak ditemukan."), status_code=404) from None


def _feature(a: Announcement, lang: str, *, internal: bool = False) -> dict:
    return AnnouncementFeature(a, context={"lang": lang, "internal": internal}).data


def _own(user, a: Announcement) -> bool:
    return services.user_may_edit(user=user, a=a)


def public_queryset(request):
    """?active=1 (default) | 0, ?desa=, ?kecamatan=, ?lon=&lat=&radius_m=, ?kind="""
    now = timezone.now()
    q = request.query_params if hasattr(request, "query_params") else request.GET
    qs = (policy.announcements_public(now=now) if q.get("active") == "0" else policy.announcements_active(now=now))
    if q.get("kind"):
        qs = qs.filter(kind=q["kind"])
    for level in ("desa", "kecamatan"):
        if q.get(level):
            qs = qs.filter(reach_codes__contains=[q[level]])
    if q.get("lon") or q.get("lat"):
        try:
            lon, lat = float(q["lon"]), float(q["lat"])
            radius = int(q.get("radius_m", 0))
        except (KeyError, TypeError, ValueError):
            raise ApiError("invalid_point", _("lon, lat dan radius_m harus angka."), fields={"lon": ["invalid"]}) from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90 and 0 <= radius <= 50_000):
            raise ApiError("invalid_point", _("Koordinat atau radius di luar rentang."), fields={"lon": ["invalid"]})
        with connection.cursor() as cursor:
            cursor.execute("""SELECT id FROM announcements_announcement
                               WHERE geom IS NOT NULL
                                 AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)""",
                           [lon, lat, radius])
            ids = [r[0] for r in cursor.fetchall()]
        qs = qs.filter(id__in=ids)
    return qs.prefetch_related("attachments").order_by("-published_at", "-id")


class AnnouncementListCreateApi(APIView):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SubmitRateThrottle]

    @extend_schema(summary="Pengumuman (GeoJSON): aktif, per desa/kecamatan, atau dekat titik")
    def get(self, request):
        lang = _lang(request)
        features = [_feature(a, lang) for a in public_queryset(request)[:500]]
        return Response({"type": "FeatureCollection", "features": features})

    @extend_schema(summary="Buat draf pengumuman (penutur wilayah)")
    def post(self, request):
        if not request.user.is_authenticated:
            raise ApiError("not_authenticated", _("Perlu masuk (login) terlebih dahulu."), status_code=401)
        if not isinstance(request.data, dict):
            raise ApiError("invalid", _("Permintaan tidak valid."))
        a = services.announcement_create(user=request.user, data=dict(request.data))
        return Response(_feature(a, _lang(request), internal=True), status=status.HTTP_201_CREATED)


def _get(request, public_id) -> Announcement:
    a = (Announcement.objects.select_related("agency", "speaker_area", "author", "approved_by", "source_report")
         .filter(public_id=_uuid(public_id)).first())
    if a is None:
        raise ApiError("not_found", _("Pengumuman tidak ditemukan."), status_code=404)
    if a.status in (Announcement.Status.DRAFT, Announcement.Status.PENDING) and not _own(request.user, a):
        raise ApiError("not_found", _("Pengumuman tidak ditemukan."), status_code=404)
    return a


class AnnouncementDetailApi(APIView):
    @extend_schema(summary="Satu pengumuman")
    def get(self, request, public_id):
        a = _get(request, public_id)
        return Response(_feature(a, _lang(request), internal=_own(request.user, a)))

    @extend_schema(summary="Ubah draf")
    def patch(self, request, public_id):
        a = _get(request, public_id)
        if not _own(request.user, a):
            raise ApiError("permission_denied", _("Anda tidak berhak melakukan ini."), status_code=403)
        if not isinstance(request.data, dict):
            raise ApiError("invalid", _("Permintaan tidak valid."))
        a = services.announcement_update_draft(announcement=a, user=request.user, data=dict(request.data))
        return Response(_feature(a, _lang(request), internal=True))


class _ActionApi(APIView):
    permission_classes = [IsAuthenticated]
    action = ""

    def post(self, request, public_id):
        a = _get(request, public_id)
        data = request.data if isinstance(request.data, dict) else {}
        note = data.get("note") or ""
        if not isinstance(note, str):
            raise ApiError("invalid", _("Catatan tidak sah."), fields={"note": ["invalid"]})
        if self.action == "publish":
            a = services.announcement_publish(announcement_id=a.id, user=request.user,
                                              exemption_basis=str(data.get("exemption_basis") or ""))
        elif self.action == "approve":
            a = services.announcement_approve(announcement_id=a.id, user=request.user)
        elif self.action == "correct":
            a = services.announcement_correct(announcement_id=a.id, user=request.user, data=dict(data), note=note)
        else:
            a = services.announcement_withdraw(announcement_id=a.id, user=request.user, note=note)
        last = a.messages.order_by("-sequence").first()
        body = _feature(a, _lang(request), internal=True)
        body["message"] = ({"type": last.msg_type, "sequence": last.sequence, "matched": last.matched}
                           if last else None)
        return Response(body)


class AnnouncementPublishApi(_ActionApi):
    action = "publish"


class AnnouncementApproveApi(_ActionApi):
    action = "approve"


class AnnouncementCorrectApi(_ActionApi):
    action = "correct"


class AnnouncementWithdrawApi(_ActionApi):
    action = "withdraw"


class AnnouncementAttachmentApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(summary="Lampiran (PDF/JPEG/PNG, 5 MB) pada draf")
    def post(self, request, public_id):
        a = _get(request, public_id)
        att = services.attachment_add(announcement=a, user=request.user, upload=request.FILES.get("file"))
        return Response({"name": att.name, "url": att.file.url, "content_type": att.content_type}, status=201)


class SubscriptionCreateApi(APIView):
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SubmitRateThrottle]

    @extend_schema(summary="Berlangganan per tempat (akun, atau perangkat lewat Web Push)")
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise ApiError("invalid", _("Permintaan tidak valid."))
        push = data.get("push")
        if push is not None and not isinstance(push, dict):
            raise ApiError("invalid_push", _("Langganan push tidak sah."), fields={"push": ["invalid"]})
        device = services.push_device_register(data=push) if push else None
        sub = services.subscription_create(user=request.user, device=device, data=dict(data))
        return Response({"token": str(sub.token), "channel": sub.channel, "target": sub.target,
                         "area_code": sub.area_code or None, "radius_m": sub.radius_m,
                         "unsubscribe": f"/pengumuman/berhenti/{sub.token}/"}, status=201)


class SubscriptionDeleteApi(APIView):
    @extend_schema(summary="Berhenti berlangganan (token dari tautan di setiap pesan)")
    def delete(self, request, token):
        try:
            token = uuid.UUID(str(token))
        except ValueError:
            raise ApiError("not_found", _("Langganan tidak ditemukan."), status_code=404) from None
        if not services.subscription_cancel(token=token):
            raise ApiError("not_found", _("Langganan tidak ditemukan."), status_code=404)
        return Response(status=204)


class VapidKeyApi(APIView):
    @extend_schema(summary="Kunci publik VAPID untuk Web Push")
    def get(self, request):
        return Response({"public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY or None})


class MinePlaceApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Pengumuman aktif untuk tempat-tempat langganan saya")
    def get(self, request):
        from . import selectors
        lang = _lang(request)
        qs = selectors.announcements_for_user_places(user=request.user, now=timezone.now())
        return Response({"type": "FeatureCollection", "features": [_feature(a, lang) for a in qs]})


class OffersApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Tawaran peringatan serta-merta (draf dari laporan terverifikasi) untuk instansi saya")
    def get(self, request):
        from accounts.selectors import user_agency_ids
        agencies = user_agency_ids(user=request.user)
        qs = (Announcement.objects.filter(agency_id__in=agencies, source_report__isnull=False,
                                          status=Announcement.Status.DRAFT)
              .select_related("agency", "speaker_area", "author", "approved_by", "source_report"))
        return Response({"type": "FeatureCollection",
                         "features": [_feature(a, _lang(request), internal=True) for a in qs]})
