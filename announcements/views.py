"""HTML pages, Atom feeds and CAP documents of announcements (public; read
through announcements.policy)."""
import uuid
import zoneinfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import feedgenerator, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.api_errors import ApiError
from geo.models import Area
from geo.selectors import edition_current
from announcements import policy as policy

from . import cap, selectors, services
from .apis import public_queryset
from .delivery import base_url
from .models import Announcement, Message

WIB = zoneinfo.ZoneInfo("Asia/Pontianak")


def _area(level: str, code: str) -> Area:
    area = Area.objects.filter(edition=edition_current(), level=level, code=code).first()
    if area is None:
        raise Http404
    return area


def _ctx(request, items, **extra):
    lang = "en" if (getattr(request, "LANGUAGE_CODE", "id") or "").startswith("en") else "id"
    return {"items": [(a, policy.announcement_public_dict(a, lang=lang)) for a in items], "nav": "pengumuman",
            **extra}


def _safe_qs(request):
    try:
        return public_queryset(request)
    except ApiError as exc:
        raise Http404(str(exc.message)) from None


def page_index(request):
    return render(request, "announcements/list.html",
                  _ctx(request, _safe_qs(request)[:100], heading=_("Pengumuman aktif"), feed="/pengumuman/feed.atom"))


def page_area(request, level, code):
    area = _area(level, code)
    items = policy.announcements_active(now=timezone.now()).filter(reach_codes__contains=[code])
    return render(request, "announcements/list.html",
                  _ctx(request, items.prefetch_related("attachments").order_by("-published_at"),
                       heading=f"{_('Pengumuman')} {area.name}", area=area,
                       feed=f"/pengumuman/{level}/{code}.atom"))


def page_detail(request, public_id):
    a = policy.announcements_public(now=timezone.now()).filter(public_id=public_id).prefetch_related("attachments").first()
    if a is None:
        raise Http404
    return render(request, "announcements/detail.html",
                  {**_ctx(request, [a]), "a": a, "messages": a.messages.order_by("sequence")})


def page_mine(request):
    """/pengumuman/tempat-saya/: active announcements for the places the
    signed-in resident follows (as GET /api/v1/announcements/mine/)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:masuk"))
    items = selectors.announcements_for_user_places(user=request.user, now=timezone.now())
    return render(request, "announcements/list.html",
                  _ctx(request, items[:100], heading=_("Pengumuman untuk tempat saya"), feed="", mine=True))


@require_http_methods(["GET", "POST"])
def page_unsubscribe(request, token):
    if request.method == "POST":
        done = services.subscription_cancel(token=token)
        return render(request, "announcements/unsubscribe.html", {"done": True, "found": done})
    return render(request, "announcements/unsubscribe.html", {"done": False})


def _atom(title, link, items) -> HttpResponse:
    feed = feedgenerator.Atom1Feed(title=title, link=link, description=title, language="id",
                                   feed_url=link)
    for a in items:
        d = policy.announcement_public_dict(a)
        url = f"{base_url()}/pengumuman/{a.public_id}/"
        status = _(" (dicabut)") if a.status == Announcement.Status.WITHDRAWN else ""
        feed.add_item(title=f"[{a.get_kind_display()}] {d['title']}{status}", link=url, unique_id=f"urn:uuid:{a.public_id}",
                      description=d["body"], pubdate=a.published_at, updateddate=a.withdrawn_at or a.updated_at,
                      categories=[a.kind, *a.target_codes])
    return HttpResponse(feed.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8")


def feed_area(request, level, code):
    area = _area(level, code)
    items = (policy.announcements_public(now=timezone.now()).filter(reach_codes__contains=[code])
             .order_by("-published_at")[:50])
    return _atom(f"Pengumuman {area.name}", f"{base_url()}/pengumuman/{level}/{code}/", items)


def feed_point(request):
    """?lon=&lat=&radius_m= (a place with a radius), or every announcement."""
    return _atom("Pengumuman Kabupaten Kubu Raya", f"{base_url()}/pengumuman/", _safe_qs(request)[:50])


def cap_index(request):
    feed = feedgenerator.Atom1Feed(title="CAP Kabupaten Kubu Raya", link=f"{base_url()}/pengumuman/cap.atom",
                                   description="Peringatan dan keadaan darurat (OASIS CAP 1.2)", language="id")
    for m in cap.cap_messages_public()[:100]:
        a = m.announcement
        url = f"{base_url()}/pengumuman/cap/{m.identifier}.xml"
        feed.add_item(title=f"{m.msg_type}: {a.title_id}", link=url, unique_id=m.identifier,
                      description=a.body_id, pubdate=m.sent_at, updateddate=m.sent_at)
    return HttpResponse(feed.writeString("utf-8"), content_type="application/atom+xml; charset=utf-8")


def cap_document(request, identifier):
    prefix = "kuburaya-"
    try:
        body, seq = identifier[len(prefix):].rsplit("-", 1)
        public_id, sequence = uuid.UUID(body), int(seq)
    except ValueError:
        raise Http404 from None
    m = cap.cap_messages_public().filter(announcement__public_id=public_id, sequence=sequence).first()
    if m is None or not identifier.startswith(prefix):
        raise Http404
    return HttpResponse(cap.cap_document(m), content_type="application/cap+xml; charset=utf-8")


def service_worker(request):
    """The Web Push service worker, served under /pengumuman/ (its scope)."""
    from django.contrib.staticfiles import finders

    path = finders.find("announcements/sw.js")
    with open(path, "rb") as fh:
        response = HttpResponse(fh.read(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


# --- Staff: the speaker's own announcements, with an attachment form ---------


def _manage_page(request, *, error=None, status=200):
    rows = [(a, a.status in (Announcement.Status.DRAFT, Announcement.Status.PENDING)
             and services.user_may_edit(user=request.user, a=a))
            for a in selectors.announcements_manageable(user=request.user)[:200]]
    return render(request, "announcements/manage.html",
                  {"rows": rows, "error": error, "nav": "pengumuman-kelola",
                   "max_mb": services.ATTACHMENT_MAX_BYTES // 2**20}, status=status)


@require_http_methods(["GET"])
def page_manage(request):
    """/pengumuman/kelola/: drafts, pending, published and withdrawn
    announcements the user speaks for; an upload form on each draft."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:masuk"))
    return _manage_page(request)


@require_http_methods(["POST"])
def page_manage_attachment(request, public_id):
    """The form's POST (multipart): the same service as the API's
    attachments endpoint; errors are shown next to the form."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("announcements-manage"), login_url=reverse("portal:masuk"))
    a = Announcement.objects.filter(public_id=public_id).select_related("agency").first()
    if a is None or (a.status in (Announcement.Status.DRAFT, Announcement.Status.PENDING)
                     and not services.user_may_edit(user=request.user, a=a)):
        raise Http404
    try:
        att = services.attachment_add(announcement=a, user=request.user, upload=request.FILES.get("file"))
    except ApiError as exc:
        return _manage_page(request, error={"id": a.public_id, "code": exc.code, "message": exc.message},
                            status=exc.status_code)
    messages.success(request, _("Lampiran %(name)s diunggah.") % {"name": att.name})
    return redirect(f"{reverse('announcements-manage')}#a-{a.public_id}")
