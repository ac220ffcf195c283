"""Stored boundaries on the 7-decimal output grid, valid there, exterior rings
counter-clockwise (RFC 7946 3.1.6): what geo.services now stores on import,
applied to the boundaries imported before. The subdivided parts are rebuilt
from the new shapes by the next import; the difference is below 1 cm."""
from django.db import migrations

FIX = """
UPDATE geo_areaboundary
   SET geom = ST_ForcePolygonCCW(ST_Multi(ST_CollectionExtract(ST_ReducePrecision(geom, 1e-7), 3))),
       simple_geom = ST_ForcePolygonCCW(ST_Multi(ST_CollectionExtract(ST_ReducePrecision(simple_geom, 1e-7), 3)))
 WHERE NOT ST_IsEmpty(ST_CollectionExtract(ST_ReducePrecision(geom, 1e-7), 3))
   AND NOT ST_IsEmpty(ST_CollectionExtract(ST_ReducePrecision(simple_geom, 1e-7), 3))
"""


class Migration(migrations.Migration):
    dependencies = [("geo", "0003_area_lookup_cells")]

    operations = [migrations.RunSQL(FIX, migrations.RunSQL.noop)]
