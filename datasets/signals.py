"""Signals of the datasets app.

dataset_layer_changed(sender, layer_id) is sent once a change of a dataset's
published layer (`dataset-<slug>`) commits: publishing, a new version,
withdrawal. The tiles app drops the layer's cached tiles on it.
"""
from django.dispatch import Signal

dataset_layer_changed = Signal()
