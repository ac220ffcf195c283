"""Server-rendered PPID pages in Bahasa Indonesia: the requester's form and
tracking pages, the officer's workspace, the annual report and the Daftar
Informasi Publik. Writes go through ppid.services, as the API's do."""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import user_create
from common.api_errors import ApiError
from ppid.policy import annual_report_public

from . import forms, selectors, serializers, services
from .information import information_list_public
from .models import Objection, RequesterProfile


def _error_message(exc: ApiError) -> str:
    details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.fields or {}).items())
    return f"{exc.message} {details}".strip()


def home(request):
    return render(request, "ppid/home.html", {"year": timezone.localdate().year})


def _form_errors(form, errors: dict) -> None:
    """Serializer errors (nested under "identity" or not) onto the form."""
    for field, errs in errors.items():
        for name, items in (errs.items() if isinstance(errs, dict) else [(field, errs)]):
            form.add_error(name if name in form.fields else None, items)


def signup(request):
    """Register as a pemohon informasi publik: account and identity together."""
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = serializers.RequesterRegistrationInput(data=form.as_api_data())
        if not data.is_valid():
            _form_errors(form, data.errors)
        else:
            d = data.validated_data
            try:
                validate_password(d["password"])
                with transaction.atomic():
                    user = user_create(username=d["username"], email=d["email"], password=d["password"])
                    services.requester_register(user=user, identity=d["identity"])
            except (ValidationError, IntegrityError) as exc:
                form.add_error(None, "; ".join(getattr(exc, "messages", [str(exc)])))
            else:
                login(request, user)
                return redirect("ppid-request-new")
    return render(request, "ppid/signup.html", {"form": form})


@login_required(login_url="ppid-login")
def request_new(request):
    profile = RequesterProfile.objects.filter(user=request.user).first()
    form = forms.RequestForm(request.POST or None, registered=profile is not None)
    if request.method == "POST" and form.is_valid():
        data = serializers.RequestInput(data=form.as_api_data())
        if not data.is_valid():
            _form_errors(form, data.errors)
        else:
            created = services.request_create(requester=request.user, **data.validated_data)
            messages.success(request, _("Permohonan teregistrasi dengan nomor %s.") % created.registration_number)
            return redirect("ppid-request-track", number=created.registration_number)
    return render(request, "ppid/request_form.html", {"form": form, "profile": profile})


@login_required(login_url="ppid-login")
def request_mine(request):
    today = timezone.localdate()
    rows = [serializers.request_dict(r, today=today, with_identity=False)
            for r in selectors.requests_of_requester(user=request.user)]
    return render(request, "ppid/request_list.html", {"rows": rows})


@login_required(login_url="ppid-login")
def request_track(request, number):
    obj = selectors.requests_of_requester(user=request.user).filter(registration_number=number).first()
    if obj is None:
        raise Http404
    form = forms.ObjectionForm(request.POST or None)
    open_grounds = services.objection_grounds_open(request=obj, today=timezone.localdate())
    form.fields["ground"].choices = [(g["ground"], g["label"]) for g in open_grounds]
    if request.method == "POST" and form.is_valid():
        try:
            services.objection_create(request=obj, user=request.user, **form.cleaned_data)
        except ApiError as exc:
            messages.error(request, _error_message(exc))
        else:
            messages.success(request, _("Keberatan telah diterima dan diteruskan kepada atasan PPID."))
            return redirect("ppid-request-track", number=number)
    data = serializers.request_dict(obj, today=timezone.localdate(), with_identity=True)
    return render(request, "ppid/request_track.html", {"r": data, "form": form})


def _require_staff(request):
    if not selectors.user_is_ppid_staff(user=request.user):
        raise Http404


@login_required(login_url="ppid-login")
def workspace(request):
    _require_staff(request)
    today = timezone.localdate()
    rows = [serializers.request_dict(r, today=today, with_identity=False)
            for r in selectors.requests_workspace(user=request.user)[:500]]
    open_rows = [r for r in rows if not r["decision"]]
    return render(request, "ppid/workspace.html", {
        "open_rows": sorted(open_rows, key=lambda r: r["effective_due_on"]),
        "overdue_count": sum(1 for r in open_rows if r["overdue"]),
        "done_rows": [r for r in rows if r["decision"]][:100],
        "objections": selectors.objections_open_for(user=request.user).order_by("due_on"), "today": today})


_ACTIONS = {
    "extend": (forms.ExtensionForm, services.request_extend),
    "decide": (forms.DecisionForm, services.request_decide),
    "deliver": (forms.DeliveryForm, services.request_deliver),
}


@login_required(login_url="ppid-login")
def workspace_request(request, number):
    _require_staff(request)
    obj = selectors.requests_workspace(user=request.user).filter(registration_number=number).first()
    if obj is None:
        raise Http404
    action = request.POST.get("action")
    if request.method == "POST" and action in _ACTIONS:
        form_class, service = _ACTIONS[action]
        form = form_class(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v is not None}
            try:
                service(request=obj, user=request.user, **data)
            except ApiError as exc:
                messages.error(request, _error_message(exc))
            else:
                messages.success(request, _("Tersimpan."))
                return redirect("ppid-workspace-request", number=number)
        else:
            messages.error(request, _("Periksa isian formulir."))
    if request.method == "POST" and action == "objection":
        form = forms.ObjectionDecisionForm(request.POST)
        objection = obj.objections.filter(registration_number=request.POST.get("objection")).first()
        if form.is_valid() and objection is not None:
            try:
                services.objection_decide(objection=objection, user=request.user, **form.cleaned_data)
            except ApiError as exc:
                messages.error(request, _error_message(exc))
            else:
                return redirect("ppid-workspace-request", number=number)
    data = serializers.request_dict(obj, today=timezone.localdate(), with_identity=True)
    return render(request, "ppid/workspace_request.html", {
        "r": data, "extension_form": forms.ExtensionForm(), "decision_form": forms.DecisionForm(),
        "delivery_form": forms.DeliveryForm(), "objection_form": forms.ObjectionDecisionForm(),
        "open_objections": obj.objections.filter(decision=""),
        "objection_grounds": Objection.Ground})


def annual_report(request, year):
    if not 2000 <= year <= timezone.localdate().year:
        raise Http404
    return render(request, "ppid/annual_report.html",
                  {"report": annual_report_public(year=year, today=timezone.localdate())})


def information_list(request):
    return render(request, "ppid/information.html", {"dip": information_list_public()})
