"""Demo announcements and subscriptions (synthetic, marked "Data contoh"):
a water disruption in two desa, a flood warning along a river buffer, a
posyandu schedule for one desa, and a few subscriptions. Idempotent."""
import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency, Area
from geo.selectors import edition_current

from . import services
from .models import Announcement, Subscription

MARK = " (Data contoh untuk demo.)"
# A line along the lower Sungai Kapuas (Sungai Raya / Sungai Kakap side), WGS84.
RIVER = {"type": "LineString", "coordinates": [[109.2960, -0.0560], [109.2750, -0.0700], [109.2520, -0.0790],
                                                [109.2300, -0.0860]]}


def _user(username, role, *, agency=None, area=None):
    from reports.demo import DEMO_PASSWORD

    User = get_user_model()
    user = User.objects.filter(username=username).first() or user_create(
        username=username, password=DEMO_PASSWORD, email=f"{username}@demo.kuburaya.invalid")
    membership_grant(user=user, role=role, agency=Agency.objects.filter(code=agency).first() if agency else None,
                     area=Area.objects.filter(code=area, edition=edition_current()).first() if area else None)
    return user


def _publish(user, data):
    if Announcement.objects.filter(title_id=data["title_id"]).exists():
        return None
    a = services.announcement_create(user=user, data=data)
    return services.announcement_publish(announcement_id=a.id, user=user)


def demo_announcements_create(now=None) -> int:
    now = now or timezone.now()
    warga = get_user_model().objects.filter(username="warga").first() or _user("warga", Role.RESIDENT)
    if not Subscription.objects.filter(user=warga).exists():
        for data in ({"channel": "email", "target": "area", "area_code": "61.12.01.2001"},
                     {"channel": "sms", "address": "081200000001", "target": "point", "lon": 109.37, "lat": -0.07,
                      "radius_m": 2000},
                     {"channel": "whatsapp", "address": "081200000002", "target": "area", "area_code": "61.12.09"}):
            services.subscription_create(user=warga, data=data)
    pdam = _user("staf_pdam", Role.AGENCY_STAFF, agency="pdam")
    bpbd = _user("staf_bpbd", Role.AGENCY_STAFF, agency="bpbd")
    operator = _user("operator_sungai_raya", Role.DESA_OPERATOR, area="61.12.01.2001")
    span = {"valid_from": (now - datetime.timedelta(hours=1)).isoformat()}
    made = [
        _publish(pdam, {"kind": "disruption", "title_id": "Gangguan air bersih di Sungai Raya dan Teluk Kapuas",
                        "title_en": "Water supply disruption in Sungai Raya and Teluk Kapuas",
                        "body_id": "Aliran air PDAM terhenti karena perbaikan pipa transmisi. Mobil tangki air "
                                   "disiagakan di kantor desa." + MARK,
                        "valid_to": (now + datetime.timedelta(days=1)).isoformat(),
                        "area": {"codes": ["61.12.01.2001", "61.12.01.2012"]}, **span}),
        _publish(bpbd, {"kind": "warning", "title_id": "Peringatan banjir di sepanjang Sungai Kapuas",
                        "title_en": "Flood warning along the Kapuas river", "cap_category": "Met",
                        "body_id": "Tinggi muka air Sungai Kapuas naik. Warga dalam 500 meter dari sungai agar "
                                   "mengamankan barang berharga dan bersiap mengungsi." + MARK,
                        "valid_to": (now + datetime.timedelta(days=3)).isoformat(),
                        "area": {"buffer": {"geometry": RIVER, "distance_m": 500}}, **span}),
        _publish(operator, {"kind": "information", "title_id": "Jadwal posyandu Desa Sungai Raya",
                            "body_id": "Posyandu balita dan lansia setiap Sabtu minggu kedua, pukul 08.00-11.00 "
                                       "di balai desa." + MARK,
                            "valid_to": (now + datetime.timedelta(days=30)).isoformat(),
                            "area": {"codes": ["61.12.01.2001"]}, **span}),
    ]
    return sum(1 for a in made if a is not None)
