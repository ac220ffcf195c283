"""Durations in words for people: "45 detik", "33 menit", "2 jam" (translated)."""
import math

from django.utils.translation import ngettext


def wait_words(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 90:
        return ngettext("%(n)d detik", "%(n)d detik", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return ngettext("%(n)d menit", "%(n)d menit", minutes) % {"n": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("%(n)d jam", "%(n)d jam", hours) % {"n": hours}
