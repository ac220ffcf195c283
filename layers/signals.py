"""Signals of the layers app."""
import django.dispatch

# Sent (on commit) after the precomputed report counts were rebuilt: the
# report-counts tiles built from the previous counts are stale from then on.
report_counts_rebuilt = django.dispatch.Signal()
