"""Distribute the project's tables on Citus (ops.citus; docs/scaling.md). Run after
`migrate` on a Citus coordinator; on one PostgreSQL it says so and changes nothing.
Idempotent."""
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from ops.citus import distribute_project


class Command(BaseCommand):
    help = "On Citus: distribute the regency-owned tables by regency_code, make the shared ones reference tables."

    def add_arguments(self, parser):
        parser.add_argument("--shard-count", type=int, default=None,
                            help="shards of the reports' co-location group (Citus default: 32)")

    def handle(self, *args, **options):
        with transaction.atomic(), connection.cursor() as cursor:
            done = distribute_project(cursor, shard_count=options["shard_count"])
        for line in done:
            self.stdout.write(line)
        self.stdout.write(f"citus_distribute: {len(done)} step(s)" if done
                          else "citus_distribute: nothing to do (not Citus, or already distributed)")
