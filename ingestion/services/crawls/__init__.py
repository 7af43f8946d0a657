"""Crawling Spotify into the catalog: playlists on request, new releases daily; each run is a CrawlRun.

Everything is written through the catalog upserts the file importers use, so a crawl interrupted at any
point and run again ends with the catalog an uninterrupted one gives, and two crawls at once duplicate nothing.
"""
from ingestion.services.crawls.new_releases import crawl_new_releases
from ingestion.services.crawls.playlists import crawl_playlists, playlist_references_parse
from ingestion.services.crawls.resumes import crawl_run_resume_due, crawl_runs_due

__all__ = [
    "crawl_new_releases", "crawl_playlists", "crawl_run_resume_due", "crawl_runs_due", "playlist_references_parse"
]
