"""report_changed(sender, report_id, old_location, new_location) is sent after
the transaction commits, on create, move and status change (tiles invalidate
on it). Locations are GEOS Points in EPSG:4326 or None."""
from django.dispatch import Signal

report_changed = Signal()
