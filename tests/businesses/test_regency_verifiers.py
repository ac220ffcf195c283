"""UMKM verifiers are scoped to their regency (issue 23, like staff for reports): a
verifier of Kota Pontianak neither sees nor verifies nor edits a Kubu Raya
business, and Kubu Raya's verifier does not see Pontianak's."""
import io

import pytest
from django.core.management import call_command

from accounts.models import Role
from accounts.services import membership_grant, user_create
from businesses import services
from businesses.selectors import businesses_pending_verification
from geo.models import Agency

from ..reports.test_regencies import PONTIANAK, PONTIANAK_DESA, inside


@pytest.fixture
def pontianak_verifier(kubu_raya):
    call_command("geo_load_kalbar", PONTIANAK, "--commit", stdout=io.StringIO())
    user = user_create(username="verifikator_pontianak", password="rahasia-panjang-9")
    membership_grant(user=user, role=Role.UMKM_VERIFIER, agency=Agency.objects.get(code="6171-diskopumdag"))
    return user


def test_a_verifier_works_in_their_regency_only(client, verifier, pontianak_verifier, make_business):
    kr = make_business(name="Kopi Liberika Rasau", verified=False)
    lon, lat = inside(PONTIANAK_DESA)
    pnk = services.business_create(name="Sotong Pangkong Pak Ali", lon=lon, lat=lat, kbli_codes=["56102"])
    assert (kr.regency_code, pnk.regency_code) == ("61.12", PONTIANAK)

    def pending(user):
        return {b.pk for b in businesses_pending_verification(user=user)}

    assert pending(verifier) == {kr.pk} and pending(pontianak_verifier) == {pnk.pk}
    client.force_login(pontianak_verifier)
    assert {b["id"] for b in client.get("/api/v1/businesses/pending/").json()["results"]} == {pnk.pk}
    # Another regency's business does not exist for the verifier; they cannot edit it either.
    refused = client.post(f"/api/v1/businesses/{kr.pk}/verification/", {"decision": "verified"},
                          content_type="application/json")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found", refused.content
    edit = client.patch(f"/api/v1/businesses/{kr.pk}/", {"products": "kopi"}, content_type="application/json")
    assert edit.status_code == 403, edit.content
    done = client.post(f"/api/v1/businesses/{pnk.pk}/verification/", {"decision": "verified"},
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["verification_status"] == "verified", done.content
    client.force_login(verifier)
    kr_done = client.post(f"/api/v1/businesses/{kr.pk}/verification/", {"decision": "verified"},
                          content_type="application/json")
    assert kr_done.status_code == 200, kr_done.content
