"""Benchmark of issue 21: 200,000 subscriptions (points with radii, desa and
kecamatan codes) spread over the regency; a flood polygon over 10 desa.
Measures: the recipients matched (the one INSERT ... SELECT that plans the
deliveries, and the bare SELECT), and delivery to the SMS simulator
(messaging.gateways, idempotent per key) in messages/s, with the count
delivered equal to the count matched, in one run.

    KR_DB_NAME=kr_announcements .venv/bin/python bench/announcements.py [--subscriptions 200000] [--workers 2]

Bench rows are marked (address +62899..., announcements titled "[bench]")
and removed at the end unless --keep. Delivery runs --workers processes,
each calling announcements.delivery.deliveries_run (rows are shared through
FOR UPDATE SKIP LOCKED), as Celery workers would.
"""
import argparse
import datetime
import multiprocessing
import time

from _common import django_setup

django_setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import membership_grant  # noqa: E402
from announcements import selectors, services  # noqa: E402
from announcements.delivery import deliveries_run  # noqa: E402
from announcements.models import Announcement, Delivery, Message  # noqa: E402
from geo.models import Agency  # noqa: E402

PHONE_PREFIX = "+62899"
KECAMATAN = "61.12.01"   # Sungai Raya: 10 of its desa make the flood polygon
NOON_WIB = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))


def make_subscriptions(n: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("""DELETE FROM announcements_delivery WHERE subscription_id IN
                            (SELECT id FROM announcements_subscription WHERE address LIKE %s)""", [PHONE_PREFIX + "%"])
        cursor.execute("DELETE FROM announcements_subscription WHERE address LIKE %s", [PHONE_PREFIX + "%"])
        cursor.execute("DELETE FROM messaging_simulatedmessage WHERE \"to\" LIKE %s", [PHONE_PREFIX + "%"])
        cursor.execute("DELETE FROM messaging_sentmessage WHERE \"to\" LIKE %s", [PHONE_PREFIX + "%"])
        t = time.perf_counter()
        # 70 %: a point near a random desa (its centroid + up to ~3 km) with a radius of 200 m .. 5 km;
        # 20 %: a desa code; 10 %: a kecamatan code. Deterministic (setseed).
        cursor.execute("SELECT setseed(0.21)")
        cursor.execute("""
            CREATE TEMP TABLE bench_desa AS
            SELECT row_number() OVER (ORDER BY a.code) - 1 AS i, a.code, ST_PointOnSurface(b.geom) AS p
              FROM geo_area a JOIN geo_areaboundary b ON b.area_id = a.id
             WHERE a.level = 'desa' AND a.edition_id = (SELECT id FROM geo_edition WHERE is_current)""")
        cursor.execute("SELECT count(*) FROM bench_desa")
        ndesa = cursor.fetchone()[0]
        cursor.execute("""
            WITH s AS (SELECT g, floor(random() * %(nd)s)::int AS d, random() AS r, random() AS u, random() AS v,
                              (200 + floor(random() * 4800))::int AS radius
                         FROM generate_series(1, %(n)s) AS g),
                 p AS (SELECT s.*, ST_SetSRID(ST_MakePoint(ST_X(d.p) + (s.u - 0.5) * 0.05, ST_Y(d.p) + (s.v - 0.5) * 0.05), 4326) AS pt,
                              d.code FROM s JOIN bench_desa d ON d.i = s.d)
            INSERT INTO announcements_subscription
                   (channel, address, target, point, radius_m, reach, area_code, wants_announcements, wants_reports,
                    token, active, created_at)
            SELECT 'sms', %(prefix)s || lpad(g::text, 7, '0'),
                   CASE WHEN r < 0.7 THEN 'point' ELSE 'area' END,
                   CASE WHEN r < 0.7 THEN pt END, CASE WHEN r < 0.7 THEN radius END,
                   CASE WHEN r < 0.7 THEN ST_Buffer(pt::geography, radius, 'quad_segs=8')::geometry END,
                   CASE WHEN r < 0.7 THEN '' WHEN r < 0.9 THEN code ELSE left(code, 8) END,
                   true, false, md5(g::text || random()::text)::uuid, true, now()
              FROM p""", {"n": n, "nd": ndesa, "prefix": PHONE_PREFIX})
        cursor.execute("ANALYZE announcements_subscription")
        print(f"subscriptions: {n:,} inserted in {time.perf_counter() - t:.1f} s")


def flood_polygon() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT ST_AsGeoJSON(ST_Union(b.geom))
              FROM (SELECT b.geom FROM geo_area a JOIN geo_areaboundary b ON b.area_id = a.id
                     WHERE a.level = 'desa' AND a.code LIKE %s AND a.edition_id = (SELECT id FROM geo_edition WHERE is_current)
                     ORDER BY a.code LIMIT 10) AS b""", [KECAMATAN + ".%"])
        import json
        return json.loads(cursor.fetchone()[0])


def _worker(batch: int) -> dict:
    return deliveries_run(now=NOON_WIB + datetime.timedelta(minutes=1), batch=batch)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    settings.ANNOUNCEMENTS_SENDER_RATE = (10**6, 3600)

    make_subscriptions(args.subscriptions)
    User = get_user_model()
    user = User.objects.filter(username="bench_bpbd").first() or User.objects.create_user("bench_bpbd")
    membership_grant(user=user, role=Role.AGENCY_STAFF, agency=Agency.objects.get(code="bpbd"))
    polygon = flood_polygon()
    a = services.announcement_create(user=user, data={
        "kind": "warning", "title_id": "[bench] Peringatan banjir", "body_id": "Air naik; warga diminta waspada.",
        "valid_from": NOON_WIB.isoformat(), "valid_to": (NOON_WIB + datetime.timedelta(days=1)).isoformat(),
        "area": {"polygon": polygon}})
    desa = [c for c in a.reach_codes if c.count(".") == 3 and "/" not in c]
    print(f"flood polygon: {sum(len(r) for p in polygon['coordinates'] for r in p) if polygon['type'] == 'MultiPolygon' else sum(len(r) for r in polygon['coordinates'])} vertices, "
          f"reaches {len(desa)} desa: {', '.join(desa)}")

    # The bare matching SELECT (what a correction re-runs), three times.
    params = selectors.match_params(geom=a.geom, codes=a.reach_codes)
    select_times = []
    for _ in range(3):
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({selectors.MATCH_SQL}) AS m", params)
            matched_select = cursor.fetchone()[0]
        select_times.append(time.perf_counter() - t)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + selectors.MATCH_SQL, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    print(f"match SELECT: {matched_select:,} recipients; {', '.join(f'{s * 1000:.0f} ms' for s in select_times)}")
    print(plan)

    # Publication: the match as the INSERT ... SELECT of the delivery rows, in the publish transaction.
    t = time.perf_counter()
    with transaction.atomic():
        services.announcement_publish(announcement_id=a.id, user=user, now=NOON_WIB)
        # (the outbox kick would deliver after the commit; the bench delivers below instead)
        from common.outbox.models import OutboxMessage
        OutboxMessage.objects.filter(key__startswith="announcements:message:").filter(
            payload__message_id__in=list(Message.objects.filter(announcement=a).values_list("id", flat=True))).delete()
    publish_s = time.perf_counter() - t
    message = a.messages.get()
    print(f"publish (speaker check, gate, match + {message.matched:,} delivery rows inserted): {publish_s * 1000:.0f} ms")

    t = time.perf_counter()
    if args.workers == 1:
        results = [_worker(args.batch)]
    else:
        connections.close_all()   # the forked workers open their own connections
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            results = pool.map(_worker, [args.batch] * args.workers)
    elapsed = time.perf_counter() - t
    sent = sum(r["sent"] for r in results)
    from messaging.models import SimulatedMessage
    delivered = Delivery.objects.filter(message=message, status="sent").count()
    matched_bench = Delivery.objects.filter(message=message, subscription__address__startswith=PHONE_PREFIX).count()
    in_simulator = SimulatedMessage.objects.filter(key__startswith="ann-", to__startswith=PHONE_PREFIX).count()
    print(f"delivery: {sent:,} sent by {args.workers} workers in {elapsed:.1f} s = {sent / elapsed:,.0f} messages/s; "
          f"delivered rows {delivered:,} of {message.matched:,} matched "
          f"({'EQUAL' if delivered == message.matched else 'DIFFERENT'}); bench subscriptions matched "
          f"{matched_bench:,}, in the simulator's inbox {in_simulator:,} "
          f"({'EQUAL' if matched_bench == in_simulator else 'DIFFERENT'})")

    if not args.keep:
        from messaging.models import SentMessage
        SimulatedMessage.objects.filter(to__startswith=PHONE_PREFIX).delete()
        SentMessage.objects.filter(to__startswith=PHONE_PREFIX).delete()
        Announcement.objects.filter(title_id__startswith="[bench]").delete()
        with connection.cursor() as cursor:
            cursor.execute("""DELETE FROM announcements_delivery WHERE subscription_id IN
                                (SELECT id FROM announcements_subscription WHERE address LIKE %s)""", [PHONE_PREFIX + "%"])
            cursor.execute("DELETE FROM announcements_subscription WHERE address LIKE %s", [PHONE_PREFIX + "%"])


if __name__ == "__main__":
    main()
