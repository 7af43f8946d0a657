"""The curation admin: find and fix tracks, browse artists, albums, genres and playlists, run imports.

Every list here must stay usable with 100k+ rows: related rows come in with select_related or one
prefetch (a page's query count does not grow with its rows), no full-table count is shown, big
relations are edited with autocomplete or shown read-only and capped, never as a <select> of the table.

The pages are split by what they show: `catalog` (tracks, artists, albums, genres, playlists), `runs` (imports,
crawls), `audio` (audio uploads, preview lookup), with `filters` and `common` shared; importing them here registers
their ModelAdmins.
"""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ingestion.admin import audio, catalog, runs  # noqa: F401  (registers the ModelAdmins)

admin.site.site_header = _("오늘의 노래 · Today's Song — curation")
admin.site.site_title = _("오늘의 노래 admin")
