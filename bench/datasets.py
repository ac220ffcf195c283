"""Agency datasets and PPID benchmark (issue 8).

- Upload of a 50,000-point CSV (the DATASETS_MAX_ROWS limit): validation alone
  and validation + storing the version, against the reference measured in the
  same run: points_assign_desa on the same points (the point-in-regency test
  the validation cannot avoid).
- Reading the published layer through datasets.policy (what exports
  and OGC items wrap), against a plain SELECT of the same feature rows.
- The Pasal 12 annual report over 5,000 requests, against a COUNT of them.

Everything runs in one transaction that is rolled back: the database is left
as it was. Points are generated inside the desa boundaries with a fixed seed
(ST_GeneratePoints), so runs are comparable.

Usage: .venv/bin/python bench/datasets.py [--points 50000] [--requests 5000]
"""
import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class Rollback(Exception):
    pass


def timed(fn, repeat=1):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=5_000)
    args = parser.parse_args()

    import django
    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Role
    from accounts.services import membership_grant, user_create
    from datasets import services as dataset_services
    from datasets.validation import validate_upload
    from geo.models import Agency, Area
    from geo.selectors import edition_current, points_assign_desa
    from datasets import policy as policy
    from ppid.policy import annual_report_public
    from ppid.models import InformationRequest, RequesterIdentity

    edition = edition_current()
    if edition is None:
        sys.exit("No current edition: run `manage.py geo_load_kubu_raya --commit` first.")
    figures = {}
    try:
        with transaction.atomic():
            desa_count = Area.objects.filter(edition=edition, level="desa", boundary__isnull=False).count()
            per_desa = max(1, args.points // desa_count + 1)
            with connection.cursor() as cursor:
                # Fixed seed: the same points every run.
                cursor.execute(
                    """SELECT ST_X(d.geom), ST_Y(d.geom) FROM (
                         SELECT (ST_Dump(ST_GeneratePoints(b.geom, %s, 8))).geom
                           FROM geo_area a JOIN geo_areaboundary b ON b.area_id = a.id
                          WHERE a.edition_id = %s AND a.level = 'desa' ORDER BY a.code) d LIMIT %s""",
                    [per_desa, edition.id, args.points])
                points = cursor.fetchall()
            lons, lats = [p[0] for p in points], [p[1] for p in points]
            rows = ["nama,kapasitas,lon,lat"] + [f"Titik {i},{i % 300},{lon:.7f},{lat:.7f}"
                                                   for i, (lon, lat) in enumerate(points)]
            data = "\n".join(rows).encode()
            n = len(points)
            print(f"{n} points, CSV {len(data) / 1e6:.1f} MB")

            t_ref, _ = timed(lambda: points_assign_desa(lons=lons, lats=lats, edition=edition))
            t_validate, result = timed(lambda: validate_upload(data=data, filename="titik.csv", kind="spatial",
                                                               edition=edition))
            assert result.valid, result.report()["errors"][:3]
            figures["assign"] = t_ref
            figures["validate"] = t_validate

            agency = Agency.objects.order_by("code").first()
            producer = user_create(username="bench-producer")
            membership_grant(user=producer, role=Role.DATA_PRODUCER, agency=agency)
            walidata = user_create(username="bench-walidata")
            membership_grant(user=walidata, role=Role.WALIDATA)
            dataset = dataset_services.dataset_create(
                user=producer, producer=agency, slug="bench-titik", title="Bench", description="Bench",
                kind="spatial", frequency="tahunan", kip_class="setiap_saat", legal_basis="UU 14/2008 Pasal 11",
                reference_edition=edition)
            t_upload, version = timed(lambda: dataset_services.dataset_version_upload(
                dataset=dataset, user=producer, filename="titik.csv", data=data))
            figures["upload"] = t_upload
            dataset_services.dataset_version_approve(version=version, user=walidata)
            dataset = policy.dataset_public_get(slug="bench-titik")

            sql, params = policy.dataset_public_sql(dataset)

            def read_policy():
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT count(*), sum(ST_NPoints(geom)), sum(kapasitas) FROM ({sql}) t", params)
                    return cursor.fetchone()

            def read_plain():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*), sum(ST_NPoints(geom)), sum((properties->>'kapasitas')::bigint)"
                                   " FROM datasets_datasetfeature WHERE version_id = %s", [version.id])
                    return cursor.fetchone()
            t_policy, got = timed(read_policy, repeat=5)
            t_plain, want = timed(read_plain, repeat=5)
            assert got == want, (got, want)
            figures["read_policy"], figures["read_plain"] = t_policy, t_plain

            # Annual report over a year of requests, decided 0-20 working days later.
            requester = user_create(username="bench-requester")
            rng = random.Random(8)
            start = datetime.date(2025, 1, 1)
            requests = []
            for i in range(args.requests):
                received = start + datetime.timedelta(days=rng.randrange(365))
                decided = received + datetime.timedelta(days=rng.randrange(0, 28))
                decision = rng.choice(["granted", "granted", "partly", "refused", "not_held"])
                requests.append(InformationRequest(
                    registration_number=f"BENCH-{i:06d}", requester=requester, information="x", purpose="y",
                    received_at=timezone.now(), received_on=received, due_on=received + datetime.timedelta(days=14),
                    decision=decision, decided_on=decided, status="decided",
                    exemption_basis="17h" if decision in ("refused", "partly") else "",
                    consequence_test="x" if decision in ("refused", "partly") else ""))
            InformationRequest.objects.bulk_create(requests, batch_size=2000)
            RequesterIdentity.objects.bulk_create(
                [RequesterIdentity(request=r, name="x", id_number="6112010101800002", address="x")
                 for r in requests], batch_size=2000)
            t_report, report = timed(lambda: annual_report_public(year=2025), repeat=3)
            t_count, count = timed(lambda: InformationRequest.objects.filter(received_on__year=2025).count(), repeat=3)
            assert report["requests_received"] == count == args.requests
            figures["report"], figures["count"] = t_report, t_count
            raise Rollback
    except Rollback:
        pass

    print(f"points_assign_desa (reference)      {figures['assign']:.2f} s  ({n / figures['assign']:,.0f} points/s)")
    print(f"validate_upload                     {figures['validate']:.2f} s  "
          f"(x{figures['validate'] / figures['assign']:.1f} reference)")
    print(f"upload = validate + store version   {figures['upload']:.2f} s  "
          f"(x{figures['upload'] / figures['assign']:.1f} reference)")
    print(f"read published layer via policy     {figures['read_policy'] * 1000:.0f} ms  "
          f"(plain SELECT {figures['read_plain'] * 1000:.0f} ms, x{figures['read_policy'] / figures['read_plain']:.2f})")
    print(f"annual report, {args.requests} requests   {figures['report'] * 1000:.0f} ms  "
          f"(COUNT {figures['count'] * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
