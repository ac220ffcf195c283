"""Pages for producers (upload, validation report) and the walidata
(approve or reject). Writes go through datasets.services, as the API's do."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.selectors import user_agency_ids
from common.api_errors import ApiError

from . import forms, selectors, serializers, services


def _staff(request):
    if not (services.user_is_walidata(user=request.user)
            or user_agency_ids(user=request.user, roles=[Role.DATA_PRODUCER])):
        raise Http404


@login_required(login_url="ppid-login")
def dataset_list(request):
    _staff(request)
    form = forms.DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            dataset = services.dataset_create(user=request.user, **data)
        except ApiError as exc:
            messages.error(request, str(exc.message))
        else:
            return redirect("datasets-page-detail", slug=dataset.slug)
    today = timezone.localdate()
    return render(request, "datasets/list.html", {
        "datasets": [serializers.dataset_internal_dict(d, today=today)
                     for d in selectors.datasets_visible_to(user=request.user)],
        "pending": selectors.versions_pending() if services.user_is_walidata(user=request.user) else [],
        "form": form})


@login_required(login_url="ppid-login")
def dataset_detail(request, slug):
    dataset = selectors.datasets_visible_to(user=request.user).filter(slug=slug).first()
    if dataset is None:
        raise Http404
    report = None
    action = request.POST.get("action")
    try:
        if request.method == "POST" and action == "upload":
            form = forms.UploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                exempt = [n.strip() for n in form.cleaned_data["exempt_fields"].split(",") if n.strip()]
                services.dataset_version_upload(dataset=dataset, user=request.user, filename=upload.name,
                                                data=upload.read(), exempt_fields=exempt)
                messages.success(request, _("Berkas valid; menunggu persetujuan walidata."))
                return redirect("datasets-page-detail", slug=slug)
        elif request.method == "POST" and action in ("approve", "reject"):
            version = dataset.versions.filter(number=request.POST.get("version")).first()
            if version is None:
                raise Http404
            note = request.POST.get("note", "")
            if action == "approve":
                services.dataset_version_approve(version=version, user=request.user, note=note)
            else:
                services.dataset_version_reject(version=version, user=request.user, note=note)
            return redirect("datasets-page-detail", slug=slug)
        elif request.method == "POST" and action == "fields":
            services.dataset_fields_set_exempt(
                dataset=dataset, user=request.user,
                exempt={f.name: f"exempt_{f.name}" in request.POST for f in dataset.fields.all()})
            return redirect("datasets-page-detail", slug=slug)
    except ApiError as exc:
        messages.error(request, str(exc.message))
        report = exc.extra.get("report")
    return render(request, "datasets/detail.html", {
        "d": serializers.dataset_internal_dict(dataset, today=timezone.localdate()),
        "report": report, "upload_form": forms.UploadForm(), "review_form": forms.ReviewForm(),
        "is_walidata": services.user_is_walidata(user=request.user)})
