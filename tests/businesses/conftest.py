"""Fixtures for UMKM Online tests: businesses at real desa of Kubu Raya."""
import datetime

import pytest

from accounts.models import Role
from accounts.services import membership_grant, user_create
from businesses import services
from businesses.models import BusinessConsent
from geo.selectors import desa_centroids

SUNGAI_RAYA = "61.12.01.2001"
CONSENTED_AT = datetime.datetime(2026, 1, 5, 2, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def desa_points(kubu_raya) -> dict[str, tuple[float, float]]:
    """code -> (lon, lat) of the desa point (ST_PointOnSurface)."""
    return {code: (lon, lat) for code, lon, lat in desa_centroids()}


@pytest.fixture
def sungai_raya_point(desa_points) -> tuple[float, float]:
    return desa_points[SUNGAI_RAYA]


@pytest.fixture
def owner_user(db):
    return user_create(username="bu_ani", password="rahasia-panjang-1")


@pytest.fixture
def other_user(db):
    return user_create(username="pak_lain", password="rahasia-panjang-2")


@pytest.fixture
def verifier(db):
    user = user_create(username="verifikator", password="rahasia-panjang-3")
    membership_grant(user=user, role=Role.UMKM_VERIFIER)
    return user


@pytest.fixture
def owner(owner_user):
    return services.owner_create(user=owner_user, name="Ani Suryani", nik="6112014501800001",
                                 home_address="Jl. Adisucipto Gg. Melati No. 7", phone="081234567890")


def verify(business):
    """Mark a business verified (what the Dinas's verification does)."""
    from businesses.models import Business, Verification

    Business.objects.filter(pk=business.pk).update(verification_status=Verification.VERIFIED)
    business.verification_status = Verification.VERIFIED
    return business


@pytest.fixture
def make_business(kubu_raya, sungai_raya_point):
    """Create a business dx, dy degrees from the Sungai Raya desa point."""
    def make(name="Toko Contoh", dx=0.0, dy=0.0, verified=True, listed=True, **kwargs):
        """verified: the Dinas verified it; listed: the owner consented to be
        listed (only with both is it public, issue 16)."""
        lon, lat = sungai_raya_point
        kwargs.setdefault("kbli_codes", ["47111"])
        if listed:
            kwargs.setdefault("listing_consent", (BusinessConsent.Channel.ONLINE_FORM, CONSENTED_AT))
        business = services.business_create(name=name, lon=lon + dx, lat=lat + dy, **kwargs)
        if verified:
            verify(business)
        return business
    return make


@pytest.fixture
def home_business(make_business, owner):
    """Home-based, about 330 m east of the desa point, no location consent."""
    return make_business(name="Keripik Pisang Bu Ani", dx=0.003, owner=owner, products="keripik pisang, kerupuk ikan",
                         kbli_codes=["10794"], nib="9120001234567", capital_idr=75_000_000,
                         annual_sales_idr=240_000_000, is_home_based=True,
                         contacts=[{"kind": "whatsapp", "value": "0811-5670-001"}])
