"""Signals of the businesses app (contract: CONTRACTS.md, Businesses).

business_changed(sender, business_id, old_location, new_location) is sent
with transaction.on_commit after a business is created, moved, changes its
public visibility, or is closed. The locations are the *public* points
(businesses.policy), i.e. what a map tile shows, so that tile caches
invalidate the tile the point was and is drawn in; None when there was none.
"""
from django.dispatch import Signal

business_changed = Signal()
# Sent after a bulk write that sends no per-row signal (the synthetic loader):
# the whole businesses layer changed.
businesses_bulk_written = Signal()
