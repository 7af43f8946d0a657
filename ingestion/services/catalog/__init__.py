"""Bulk, idempotent upserts of parsed records into the catalog; shared by every importer and crawler.

Rules, so that any import can be re-run and sources can be combined:
- Natural keys: Spotify ids; artists without one are matched by name, albums without one by name + main artist.
- A field the record does not know (None, or "" for text) never overwrites what the catalog has.
- A row is written only when something in it changed, and only then does its `updated_at` move;
  a second run of the same file therefore changes nothing, timestamps included.
- Work is done in a few set-based queries per batch (no query per row), inside one transaction per batch,
  so an interrupted import leaves whole batches and a re-run completes it.
- Inserts tolerate a concurrent writer (`ignore_conflicts`, then re-read by key), so two imports at once
  do not duplicate rows.
"""
from ingestion.services.catalog.common import EntityCounts, UpsertSummary
from ingestion.services.catalog.playlists import catalog_upsert_playlists
from ingestion.services.catalog.tracks import catalog_upsert_tracks

__all__ = ["EntityCounts", "UpsertSummary", "catalog_upsert_playlists", "catalog_upsert_tracks"]
