"""report_changed(sender, report_id, old_location, new_location) is sent after
the transaction commits, on create, move and status change (tiles invalidate
on it). Locations are GEOS Points in EPSG:4326 or None."""
from django.dispatch import Signal

report_changed = Signal()

# report_event_created(sender, event) is sent INSIDE the transaction that
# wrote a public workflow event (a status change), so a receiver can write its
# own rows (e.g. outbox messages to the report's followers) in that
# transaction: they commit, or roll back, with the change.
report_event_created = Signal()
