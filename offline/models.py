"""One row per action a phone queued while offline, keyed by the id the phone
gave it: the server applies each action exactly once, and a phone that sends
it again (a retry after a lost answer, a second sync) gets the first outcome.
"""
from django.conf import settings
from django.db import models


class ClientAction(models.Model):
    class Kind(models.TextChoices):
        TRANSITION = "transition", "Status change"
        NOTE = "note", "Note"

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"

    client_id = models.UUIDField(primary_key=True, help_text="Made by the phone when the action was taken.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_actions")
    report_id = models.UUIDField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # What the phone asked for: kept whole, so a refused action loses nothing
    # (its note and photo stay here, and the note reaches the report when the
    # user may still write on it).
    request = models.JSONField(default=dict)
    taken_at = models.DateTimeField(help_text="When the phone took the action (its clock).")
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    code = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["user", "received_at"])]


def _photo_path(instance, filename):
    return f"offline-actions/{instance.client_id}/{filename}"


ClientAction.add_to_class(
    "photo", models.FileField(upload_to=_photo_path, blank=True,
                              help_text="The evidence photo the phone sent (re-encoded, no EXIF), kept even "
                                        "when the action was refused."))
