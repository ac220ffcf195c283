"""The shared navigation of every page (portal, /data/, /informasi/, /ppid/)."""
from django import template

from portal.roles import workspace_links

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_workspace_links(context) -> list[dict]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return []
    cache = getattr(request, "_portal_workspace_links", None)
    if cache is None:
        cache = workspace_links(user=user)
        if request is not None:
            request._portal_workspace_links = cache
    return cache
