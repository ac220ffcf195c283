from django import template
from django.utils.html import json_script

from offline.text import offline_text as _offline_text

register = template.Library()


@register.simple_tag
def offline_text():
    """<script type="application/json" id="offline-text">: the offline
    scripts' words in the page's language."""
    return json_script(_offline_text(), "offline-text")
