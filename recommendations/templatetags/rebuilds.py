"""`{% next_rebuild_notice %}` in the admin: when the catalog's latest changes reach the listeners.

The catalog (ingestion) cannot know about rebuilds, so its pages do not say it; the admin's frame does, from the
recommendations side (`recommendations.services.rebuilds.dataset_next_rebuild`). Shown after an action (an
import, an edit: the page has messages), on the admin's home and on the pages about imports and rebuilds, so an
ordinary list costs no extra queries.
"""
from __future__ import annotations

from django import template

from recommendations.services.rebuilds import dataset_next_rebuild

register = template.Library()

PAGES_ABOUT_REBUILDS = {"ingestion.importrun", "recommendations.datasetstate", "recommendations.modelversion"}


@register.inclusion_tag("admin/recommendations/_next_rebuild.html", takes_context=True)
def next_rebuild_notice(context: template.Context) -> dict:
    request = context.get("request")
    if request is None or not request.user.is_active or not request.user.is_staff:
        return {"notice": None}
    opts = context.get("opts")
    if opts is not None and not context.get("messages") and opts.label_lower not in PAGES_ABOUT_REBUILDS:
        return {"notice": None}
    return {"notice": dataset_next_rebuild()}
