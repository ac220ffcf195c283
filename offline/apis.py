"""JSON API of the offline app: the crew's package and the sync of queued
actions (exactly once per client id)."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from django.utils.translation import gettext_lazy as _

from common.api_errors import ApiError

from . import selectors, services


class PackageApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Paket offline kru: antrean terbuka, desa wilayah layanan, rencana peta dasar (anggaran 30 MB)")
    def get(self, request):
        package = selectors.crew_package(user=request.user)
        if package is None:
            raise ApiError("permission_denied", _("Paket offline hanya untuk petugas dan kru instansi."),
                           status_code=403)
        response = Response(package)
        response["Cache-Control"] = "private, no-store"
        return response


class ActionInput(serializers.Serializer):
    client_id = serializers.UUIDField()
    report_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=["transition", "note"])
    to = serializers.CharField(required=False)
    from_status = serializers.CharField(required=False, help_text="The status the phone showed when the action was taken")
    note = serializers.CharField(required=False, allow_blank=True)
    public = serializers.BooleanField(required=False)
    photo = serializers.CharField(required=False, help_text="JPEG as a data: URL (downscaled on the phone)")
    taken_at = serializers.DateTimeField(required=False)


class SyncApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Kirim tindakan yang diantrekan saat offline; setiap client_id diterapkan sekali",
                   request=inline_serializer("SyncInput", {"actions": ActionInput(many=True)}),
                   responses={200: inline_serializer("SyncOutput", {"results": serializers.ListField(
                       child=serializers.DictField())})})
    def post(self, request):
        actions = request.data.get("actions") if hasattr(request.data, "get") else None
        results = services.actions_sync(user=request.user, actions=actions)
        return Response({"results": results})
