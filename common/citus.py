"""Distribution on Citus as a migration step that is a no-op on plain PostgreSQL.

A table is declared once, where its schema is made:

    from common.citus import Distribute

    operations = [
        ...,
        Distribute(reference=["prov_category", "prov_regency"],
                   distributed=[("prov_report", "regency_code", None),
                                ("prov_report_event", "regency_code", "prov_report")]),
    ]

On a database with the `citus` extension (scripts/citus.sh) the step calls
create_reference_table() / create_distributed_table(table, column, colocate_with);
on one PostgreSQL (`make demo`, `make test`) it does nothing. Both are idempotent:
a table Citus already knows is left alone, so re-running a migration or the bench
changes nothing. The same helpers serve raw-SQL schemas (tenancy.schema).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import migrations

Distributed = tuple[str, str, str | None]  # (table, distribution column, colocate_with table or None)


def local_execution_on(cursor, *, sequential: bool = False) -> None:
    """On Citus (settings.KR_CITUS): turn local execution back on for the current
    transaction; call before its first statement. ops.citus turns it off for the
    database (a boundary loader writes reference tables, then ANALYZE). Without it
    the coordinator reads its own reference-table placements over another
    connection, which cannot see this session's temporary tables: the staging
    paths that join one with a reference table (reports.bulk, geo.reassign) fail.
    Only in a transaction that has not yet reached the coordinator over a
    connection: once it has, Citus keeps local execution off until its end.
    `sequential`: one connection per node for the multi-shard modifications too,
    for a transaction that updates a distributed table, then a table with a
    foreign key to a reference table (Citus refuses that after a parallel one).
    On plain PostgreSQL: nothing."""
    from django.conf import settings

    if settings.KR_CITUS:
        cursor.execute("SET LOCAL citus.enable_local_execution TO on")
        if sequential:
            cursor.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")


def citus_present(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
    return cursor.fetchone() is not None


def _citus_kind(cursor, table: str) -> str | None:
    """'distributed', 'reference', or None for a plain table or a Citus local table
    (one Citus made by itself because a foreign key points at a reference table)."""
    # pg_dist_partition, not the citus_tables view: the view measures shard sizes over
    # other connections, which wait for this transaction's DDL locks.
    cursor.execute("SELECT partmethod, repmodel FROM pg_dist_partition WHERE logicalrelid = to_regclass(%s)",
                   [table])
    row = cursor.fetchone()
    if row is None:
        return None
    if row[0] == "h":
        return "distributed"
    return "reference" if row[1] == "t" else None


def distribute(cursor, *, reference: Iterable[str] = (), distributed: Sequence[Distributed] = ()) -> list[str]:
    """Make the declared tables reference or distributed tables when Citus is present.

    Returns what was done (empty on plain PostgreSQL or when everything was
    already distributed). Reference tables first: a distributed table's foreign
    key may point at one, never the other way round. Distributed tables in the
    order given, so a co-location target is distributed before the tables that
    follow it.
    """
    if not citus_present(cursor):
        return []
    done = []
    for table in reference:
        if _citus_kind(cursor, table) is None:
            cursor.execute("SELECT create_reference_table(%s)", [table])
            done.append(f"reference {table}")
    for table, column, colocate_with in distributed:
        if _citus_kind(cursor, table) is None:
            cursor.execute("SELECT create_distributed_table(%s, %s, colocate_with => %s)",
                           [table, column, colocate_with or "default"])
            done.append(f"distributed {table} by {column}" + (f" with {colocate_with}" if colocate_with else ""))
    return done


def undistribute(cursor, tables: Iterable[str]) -> None:
    if not citus_present(cursor):
        return
    for table in tables:
        if _citus_kind(cursor, table) is not None:
            cursor.execute("SELECT undistribute_table(%s, cascade_via_foreign_keys => true)", [table])


class Distribute(migrations.operations.base.Operation):
    """Migration operation: distribute declared tables on Citus; nothing elsewhere."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, *, reference: Sequence[str] = (), distributed: Sequence[Distributed] = ()):
        self.reference = list(reference)
        self.distributed = [tuple(d) for d in distributed]

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"reference": self.reference, "distributed": self.distributed})

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        with schema_editor.connection.cursor() as cursor:
            distribute(cursor, reference=self.reference, distributed=self.distributed)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        with schema_editor.connection.cursor() as cursor:
            undistribute(cursor, [t for t, _, _ in reversed(self.distributed)] + list(reversed(self.reference)))

    def describe(self):
        return (f"Distribute on Citus (no-op elsewhere): reference {', '.join(self.reference) or '-'}; "
                f"distributed {', '.join(t for t, _, _ in self.distributed) or '-'}")
