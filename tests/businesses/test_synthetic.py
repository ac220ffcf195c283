"""businesses_generate_synthetic: top-up, marked synthetic, clustered in the
regency, home points coarsened by the same policy."""
from io import StringIO

from django.core.management import call_command
from django.db.models import Count

from businesses.models import Business
from businesses.policy import businesses_public


def test_generates_marked_clustered_businesses_and_tops_up(kubu_raya, desa_points):
    out = StringIO()
    call_command("businesses_generate_synthetic", target=400, stdout=out, verbosity=0)
    assert "added 400, total 400" in out.getvalue()
    call_command("businesses_generate_synthetic", target=400, stdout=out, verbosity=0)
    assert "added 0, total 400" in out.getvalue()
    qs = Business.objects.all()
    assert qs.count() == 400 and not qs.filter(is_synthetic=False).exists()
    assert not qs.filter(desa__isnull=True).exists() and not qs.filter(kecamatan__isnull=True).exists()
    # Denser next to Pontianak: Sungai Raya kecamatan holds more than remote Terentang.
    per_kecamatan = dict(qs.values_list("kecamatan__code").annotate(n=Count("id")))
    assert per_kecamatan["61.12.01"] > 3 * per_kecamatan.get("61.12.04", 0)
    # Home-based without consent: the public point is the desa point.
    hidden = qs.filter(is_home_based=True, public_location_exact=False).select_related("desa")
    assert hidden.exists()
    for b in hidden:
        assert (b.public_location.x, b.public_location.y) == desa_points[b.desa.code]
        assert (b.location.x, b.location.y) != desa_points[b.desa.code]
    # Only verified businesses are public (issue 16); about 80 % are.
    verified = Business.objects.filter(verification_status="verified").count()
    assert 250 < verified < 400 and businesses_public().count() == verified
    assert Business.objects.exclude(search_text="").count() == 400
