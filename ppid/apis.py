"""JSON API of the PPID: requests, the officer's actions, objections, the
annual report and the Daftar Informasi Publik. Thin: logic is in services,
selectors and ppid.policy."""
import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import user_create
from common.throttles import SubmitRateThrottle
from common.api_errors import ApiError
from ppid.policy import annual_report_public

from . import selectors, serializers, services
from .models import Objection, RequesterProfile
from .information import information_list_public


def _valid(serializer_class, data):
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


def _get_request(user, number):
    request = selectors.request_get_for(user=user, registration_number=number)
    if request is None:
        raise ApiError("not_found", _("Permohonan tidak ditemukan."), status_code=404)
    return request


def _out(request_obj, user):
    return serializers.request_dict(request_obj, today=timezone.localdate(),
                                    with_identity=request_obj.requester_id == user.pk
                                    or selectors.user_handles_request(user=user, request=request_obj))


class RequesterRegistrationApi(APIView):
    """Open an account as a pemohon informasi publik, with the identity the
    law asks of a requester (kept as personal data, never public)."""

    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, SubmitRateThrottle]

    @extend_schema(summary="Daftar sebagai pemohon informasi publik", request=serializers.RequesterRegistrationInput)
    def post(self, request):
        data = _valid(serializers.RequesterRegistrationInput, request.data)
        try:
            validate_password(data["password"])
        except ValidationError as exc:
            raise ApiError("invalid_password", " ".join(exc.messages), fields={"password": exc.messages})
        try:
            with transaction.atomic():
                user = user_create(username=data["username"], email=data["email"], password=data["password"])
                profile = services.requester_register(user=user, identity=data["identity"])
        except ValidationError as exc:
            fields = getattr(exc, "message_dict", {"identity": exc.messages})
            if "username" in fields:
                raise ApiError("username_taken", _("Nama pengguna sudah dipakai."), status_code=409,
                               fields={"username": fields["username"]})
            raise ApiError("invalid", _("Periksa isian."), fields=fields)
        except IntegrityError:  # the same name registered concurrently
            raise ApiError("username_taken", _("Nama pengguna sudah dipakai."), status_code=409,
                           fields={"username": [data["username"]]})
        return Response(serializers.requester_profile_dict(profile), status=status.HTTP_201_CREATED)


class RequesterMeApi(APIView):
    """The requester's own identity: read, correct (PUT) or delete (UU PDP)."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        profile = RequesterProfile.objects.filter(user=request.user).first()
        if profile is None:
            raise ApiError("requester_not_registered", _("Akun ini belum terdaftar sebagai pemohon."),
                           status_code=404)
        return Response(serializers.requester_profile_dict(profile))

    @extend_schema(request=serializers.IdentityInput)
    def put(self, request):
        data = _valid(serializers.IdentityInput, request.data)
        profile = services.requester_register(user=request.user, identity=data)
        return Response(serializers.requester_profile_dict(profile))

    def delete(self, request):
        services.requester_unregister(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RequestListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Permohonan informasi yang boleh dilihat pengguna (pemohon: miliknya sendiri)")
    def get(self, request):
        qs = (selectors.requests_workspace(user=request.user)
              if request.query_params.get("scope") == "workspace"
              else selectors.requests_of_requester(user=request.user))
        overdue_only = request.query_params.get("overdue") in ("1", "true")
        today = timezone.localdate()
        items = [serializers.request_dict(r, today=today, with_identity=False) for r in qs[:500]]
        if overdue_only:
            items = [i for i in items if i["overdue"]]
        return Response({"results": items})

    @extend_schema(summary="Ajukan permohonan informasi publik", request=serializers.RequestInput)
    def post(self, request):
        data = _valid(serializers.RequestInput, request.data)
        created = services.request_create(requester=request.user, **data)
        return Response(_out(created, request.user), status=status.HTTP_201_CREATED)


class RequestDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, number):
        return Response(_out(_get_request(request.user, number), request.user))


class RequestExtensionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.ExtensionInput)
    def post(self, request, number):
        data = _valid(serializers.ExtensionInput, request.data)
        obj = services.request_extend(request=_get_request(request.user, number), user=request.user, **data)
        return Response(_out(obj, request.user))


class RequestDecisionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.DecisionInput)
    def post(self, request, number):
        data = _valid(serializers.DecisionInput, request.data)
        obj = services.request_decide(request=_get_request(request.user, number), user=request.user, **data)
        return Response(_out(obj, request.user))


class RequestDeliveryApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.DeliveryInput)
    def post(self, request, number):
        data = _valid(serializers.DeliveryInput, request.data)
        obj = services.request_deliver(request=_get_request(request.user, number), user=request.user, **data)
        return Response(_out(obj, request.user))


class RequestWithdrawalApi(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, number):
        obj = services.request_withdraw(request=_get_request(request.user, number), user=request.user)
        return Response(_out(obj, request.user))


class ObjectionCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.ObjectionInput)
    def post(self, request, number):
        data = _valid(serializers.ObjectionInput, request.data)
        objection = services.objection_create(request=_get_request(request.user, number),
                                              user=request.user, **data)
        return Response(serializers.objection_dict(objection), status=status.HTTP_201_CREATED)


def _get_objection(user, number) -> Objection:
    objection = Objection.objects.select_related("request").filter(registration_number=number).first()
    if objection is None or selectors.request_get_for(
            user=user, registration_number=objection.request.registration_number) is None:
        raise ApiError("not_found", _("Keberatan tidak ditemukan."), status_code=404)
    return objection


class ObjectionDecisionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.ObjectionDecisionInput)
    def post(self, request, number):
        data = _valid(serializers.ObjectionDecisionInput, request.data)
        objection = services.objection_decide(objection=_get_objection(request.user, number),
                                              user=request.user, **data)
        return Response(serializers.objection_dict(objection))


class ObjectionDisputeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.DisputeInput)
    def post(self, request, number):
        data = _valid(serializers.DisputeInput, request.data)
        objection = services.objection_record_dispute(objection=_get_objection(request.user, number),
                                                      user=request.user, **data)
        return Response(serializers.objection_dict(objection))


class AnnualReportApi(APIView):
    @extend_schema(
        summary="Laporan tahunan layanan informasi publik (UU 14/2008 Pasal 12), tanpa data pribadi",
        parameters=[OpenApiParameter(
            "as_of", OpenApiTypes.DATE, required=False,
            description="Tanggal acuan (YYYY-MM-DD, WIB) untuk menilai permohonan yang belum diputus "
                        "terlambat atau belum; bawaan: hari ini")])
    def get(self, request, year):
        today = timezone.localdate()
        if not 2000 <= year <= today.year:
            raise ApiError("invalid_year", _("Tahun tidak valid."), status_code=404)
        as_of = today
        if "as_of" in request.query_params:
            try:
                as_of = datetime.date.fromisoformat(request.query_params["as_of"])
            except ValueError:
                raise ApiError("invalid_date", _("Tanggal acuan harus berformat YYYY-MM-DD."))
        return Response(annual_report_public(year=year, today=as_of))


class InformationListApi(APIView):
    @extend_schema(summary="Daftar Informasi Publik (Pasal 11 ayat 1 huruf a)")
    def get(self, request):
        return Response(information_list_public())
