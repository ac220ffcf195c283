from django import template
from django.utils.html import format_html, json_script

from offline import selectors
from offline.text import offline_text as _offline_text

register = template.Library()


@register.simple_tag
def offline_text():
    """<script type="application/json" id="offline-text">: the offline
    scripts' words in the page's language (at the end of the body: register.js
    reads them once the page has loaded)."""
    return json_script(_offline_text(), "offline-text")


@register.simple_tag(takes_context=True)
def offline_private_meta(context):
    """On a signed-in user's page, <meta name="kr-private-hours">: the service
    worker keeps such a page for that many hours only."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return format_html('<meta name="kr-private-hours" content="{}">', selectors.PRIVATE_HOURS)
    return ""
