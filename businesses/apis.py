"""HTTP API of UMKM Online. Thin: parse, call a selector/service, render.

Public outputs (search, detail) are rendered only by
businesses.policy; owner/verifier outputs by
serializers.business_private_dict, behind a role or ownership check."""
import json
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.selectors import user_has_role
from common.api_errors import ApiError
from businesses.policy import business_public_feature_json, businesses_public_page_json

from . import selectors, services
from .models import Business, BusinessConsent, KbliCode
from .serializers import (BusinessInput, BusinessPatchInput, CertificateInput, ConsentInput, SearchInput,
                          StatsInput, VerificationInput, business_private_dict)

STATS_ROLES = [Role.UMKM_VERIFIER, Role.COORDINATOR, Role.PLANNER, Role.AGENCY_HEAD]


def _require_role(user, roles):
    if not user_has_role(user=user, roles=roles):
        raise ApiError("permission_denied", _("Anda tidak berhak melakukan ini."), status_code=403)


def _business_for_edit(request, business_id) -> Business:
    business = get_object_or_404(Business.objects.select_related("owner", "desa", "kecamatan"), pk=business_id)
    if not services.business_can_edit(user=request.user, business=business):
        # Someone else's business: do not confirm that it exists beyond the public view.
        raise ApiError("permission_denied", _("Anda tidak berhak mengubah usaha ini."), status_code=403)
    return business


class BusinessListApi(APIView):
    @extend_schema(summary="Search public businesses (GeoJSON FeatureCollection, paged by limit/offset)",
                   parameters=[SearchInput], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        params = SearchInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        limit, offset = p["limit"], p["offset"]
        page = selectors.businesses_search_page_query(
            limit=limit, offset=offset,
            q=p.get("q", ""), sector=p.get("sector", ""), scale=p.get("scale", ""),
            certificate=p.get("certificate", ""), desa_code=p.get("desa", ""),
            kecamatan_code=p.get("kecamatan", ""), near=p.get("near"), radius_m=p.get("radius_m"),
            bbox=p.get("bbox"))
        # The page is selected and rendered as GeoJSON in one statement (the
        # policy's SQL rendering); only the envelope is written here.
        features, returned, fetched = businesses_public_page_json(
            sql=page.sql, params=page.params, limit=limit, with_distance=page.with_distance)
        has_next = fetched > limit
        links = []
        if has_next:
            query = request.query_params.copy()
            query["offset"] = offset + limit
            query["limit"] = limit
            href = request.build_absolute_uri(request.path) + "?" + urlencode(query, doseq=True)
            links.append({"rel": "next", "type": "application/geo+json", "href": href})
        tail = json.dumps({"numberReturned": returned, "limit": limit, "offset": offset, "links": links},
                          ensure_ascii=False, separators=(",", ":"))
        body = '{"type":"FeatureCollection","features":' + features + "," + tail[1:]
        return HttpResponse(body.encode(), content_type="application/json")

    @extend_schema(request=BusinessInput)
    def post(self, request):
        if not request.user.is_authenticated:
            raise ApiError("not_authenticated", _("Perlu masuk (login) terlebih dahulu."), status_code=401)
        data = BusinessInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        with transaction.atomic():
            owner = request.user.business_owners.order_by("id").first()
            if owner is None:
                owner = services.owner_create(
                    user=request.user, name=d.pop("owner_name", "") or request.user.get_full_name()
                    or request.user.username, phone=d.pop("owner_phone", ""),
                    home_address=d.pop("owner_home_address", ""), email=request.user.email)
            for key in ("owner_name", "owner_phone", "owner_home_address"):
                d.pop(key, None)
            if d.pop("listing_consent", False):
                d["listing_consent"] = (BusinessConsent.Channel.ONLINE_FORM, timezone.now())
            business = services.business_create(actor=request.user, owner=owner, source="owner", **d)
        business = Business.objects.select_related("desa", "kecamatan", "financials").get(pk=business.pk)
        return Response(business_private_dict(business), status=status.HTTP_201_CREATED)


class BusinessDetailApi(APIView):
    def get(self, request, business_id: int):
        feature = business_public_feature_json(business_id)
        if feature is None:
            raise ApiError("not_found", _("Usaha tidak ditemukan."), status_code=404)
        return HttpResponse(feature.encode(), content_type="application/json")

    @extend_schema(request=BusinessPatchInput)
    def patch(self, request, business_id: int):
        if not request.user.is_authenticated:
            raise ApiError("not_authenticated", _("Perlu masuk (login) terlebih dahulu."), status_code=401)
        business = _business_for_edit(request, business_id)
        data = BusinessPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        business = services.business_update(business=business, actor=request.user,
                                            changes=dict(data.validated_data))
        business = Business.objects.select_related("desa", "kecamatan", "financials").get(pk=business.pk)
        return Response(business_private_dict(business))


class BusinessMineApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        rows = selectors.businesses_of_owner(user=request.user).select_related("financials")
        return Response({"results": [business_private_dict(b) for b in rows]})


class CertificateCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CertificateInput)
    def post(self, request, business_id: int):
        business = _business_for_edit(request, business_id)
        data = CertificateInput(data=request.data)
        data.is_valid(raise_exception=True)
        cert = services.certificate_add(business=business, actor=request.user, **data.validated_data)
        return Response({"id": str(cert.id), "kind": cert.kind, "number": cert.number,
                         "verification_status": cert.verification_status}, status=status.HTTP_201_CREATED)


class ConsentCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ConsentInput)
    def post(self, request, business_id: int):
        business = _business_for_edit(request, business_id)
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_record(business=business, actor=request.user, **data.validated_data)
        return Response({"kind": consent.kind, "granted": consent.granted, "channel": consent.channel,
                         "recorded_at": consent.recorded_at.isoformat()}, status=status.HTTP_201_CREATED)


class VerificationApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=VerificationInput)
    def post(self, request, business_id: int):
        _require_role(request.user, [Role.UMKM_VERIFIER])
        business = get_object_or_404(Business, pk=business_id)
        data = VerificationInput(data=request.data)
        data.is_valid(raise_exception=True)
        business = services.business_verify(business=business, actor=request.user, **data.validated_data)
        return Response({"id": business.pk, "verification_status": business.verification_status,
                         "verified_at": business.verified_at.isoformat()})


class PendingApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        _require_role(request.user, [Role.UMKM_VERIFIER])
        rows = selectors.businesses_pending_verification(user=request.user).select_related("financials") \
            .prefetch_related("certificates")[:200]
        return Response({"results": [business_private_dict(b) for b in rows]})


class AuditApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, business_id: int):
        business = _business_for_edit(request, business_id)
        return Response({"results": [
            {"action": a.action, "changes": a.changes, "created_at": a.created_at.isoformat(),
             "actor": a.actor.username if a.actor else None}
            for a in business.audit.select_related("actor").order_by("created_at", "id")]})


class StatsApi(APIView):
    """Agency statistics (unsuppressed counts: role-gated, not public)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[StatsInput])
    def get(self, request):
        _require_role(request.user, STATS_ROLES)
        params = StatsInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        group_by = params.validated_data["group_by"]
        return Response({
            "group_by": group_by,
            "counts": selectors.business_counts(group_by=group_by),
            "certificate_coverage": selectors.certificate_coverage(group_by=group_by),
            "new_per_month": selectors.business_new_per_month(),
        })


class KbliListApi(APIView):
    def get(self, request):
        edition = request.query_params.get("edition", "2020")
        rows = KbliCode.objects.filter(edition=edition).values("code", "edition", "title", "sector", "is_food")
        return Response({"results": list(rows)})
