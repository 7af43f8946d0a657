"""Template filters for the site's navigation."""
from django import template

register = template.Library()


@register.filter
def in_section(path: str, section_url: str) -> bool:
    """`{% if request.path|in_section:today_url %}`: the page is that nav item's page or one below it."""
    if not section_url:
        return False
    if section_url == "/":
        return path == "/"
    return path == section_url or path.startswith(section_url.rstrip("/") + "/")
