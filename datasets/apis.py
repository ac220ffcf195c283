"""HTTP adapters for agency datasets; logic in services, selectors and
datasets.policy."""
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_errors import ApiError
from geo.selectors import edition_current

from . import selectors, serializers, services


def _valid(serializer_class, data):
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


def _dataset_for(user, slug):
    dataset = selectors.datasets_visible_to(user=user).filter(slug=slug).first()
    if dataset is None:
        raise ApiError("not_found", _("Dataset tidak ditemukan."), status_code=404)
    return dataset


def _version(dataset, number):
    version = dataset.versions.filter(number=number).first()
    if version is None:
        raise ApiError("not_found", _("Versi tidak ditemukan."), status_code=404)
    return version


class DatasetListApi(APIView):
    @extend_schema(summary="Dataset terbit (publik) atau milik pengguna (?scope=mine: produsen / walidata)")
    def get(self, request):
        if request.query_params.get("scope") == "mine":
            if not request.user.is_authenticated:
                raise ApiError("not_authenticated", _("Perlu masuk (login) terlebih dahulu."), status_code=401)
            today = timezone.localdate()
            return Response({"results": [serializers.dataset_internal_dict(d, today=today)
                                         for d in selectors.datasets_visible_to(user=request.user)]})
        return Response({"results": selectors.datasets_public_list()})

    @extend_schema(request=serializers.DatasetInput)
    def post(self, request):
        if not request.user.is_authenticated:
            raise ApiError("not_authenticated", _("Perlu masuk (login) terlebih dahulu."), status_code=401)
        data = _valid(serializers.DatasetInput, request.data)
        data["reference_edition"] = data["reference_edition"] or edition_current()
        dataset = services.dataset_create(user=request.user, **data)
        return Response(serializers.dataset_internal_dict(dataset, today=timezone.localdate()),
                        status=status.HTTP_201_CREATED)


class DatasetDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, slug):
        return Response(serializers.dataset_internal_dict(_dataset_for(request.user, slug),
                                                          today=timezone.localdate()))

    @extend_schema(request=serializers.DatasetUpdateInput)
    def patch(self, request, slug):
        data = _valid(serializers.DatasetUpdateInput, request.data)
        dataset = services.dataset_update(dataset=_dataset_for(request.user, slug), user=request.user, **data)
        return Response(serializers.dataset_internal_dict(dataset, today=timezone.localdate()))


class DatasetFieldsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.FieldsInput)
    def post(self, request, slug):
        data = _valid(serializers.FieldsInput, request.data)
        dataset = _dataset_for(request.user, slug)
        services.dataset_fields_set_exempt(dataset=dataset, user=request.user, **data)
        return Response(serializers.dataset_internal_dict(dataset, today=timezone.localdate()))


class DatasetVersionListApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get(self, request, slug):
        dataset = _dataset_for(request.user, slug)
        return Response({"results": [serializers.version_dict(v) for v in dataset.versions.all()]})

    @extend_schema(summary="Unggah versi baru; berkas tidak valid -> 400 invalid_file dengan laporan per baris",
                   request=serializers.UploadInput)
    def post(self, request, slug):
        data = _valid(serializers.UploadInput, request.data)
        upload = data["file"]
        exempt = [n.strip() for n in data["exempt_fields"].split(",") if n.strip()]
        version = services.dataset_version_upload(dataset=_dataset_for(request.user, slug), user=request.user,
                                                  filename=upload.name, data=upload.read(), exempt_fields=exempt)
        return Response(serializers.version_dict(version), status=status.HTTP_201_CREATED)


class DatasetVersionApproveApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.ReviewInput)
    def post(self, request, slug, number):
        data = _valid(serializers.ReviewInput, request.data)
        version = services.dataset_version_approve(version=_version(_dataset_for(request.user, slug), number),
                                                   user=request.user, **data)
        return Response(serializers.version_dict(version))


class DatasetVersionRejectApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=serializers.ReviewInput)
    def post(self, request, slug, number):
        data = _valid(serializers.ReviewInput, request.data)
        version = services.dataset_version_reject(version=_version(_dataset_for(request.user, slug), number),
                                                  user=request.user, **data)
        return Response(serializers.version_dict(version))


class ChoroplethOptionsApi(APIView):
    @extend_schema(summary="Kolom numerik dataset per desa yang dapat ditampilkan sebagai peta tematik")
    def get(self, request):
        return Response({"results": selectors.choropleth_options()})


class ChoroplethValuesApi(APIView):
    @extend_schema(summary="Nilai per kode desa untuk peta tematik (hanya kolom publik)")
    def get(self, request, slug, field):
        values = selectors.choropleth_values(slug=slug, field=field)
        if values is None:
            raise ApiError("not_found", _("Kolom tidak tersedia untuk peta tematik."), status_code=404)
        return Response(values)
