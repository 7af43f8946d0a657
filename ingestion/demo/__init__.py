"""A deterministic synthetic demo catalog, generated without Django or a database.

`demo_catalog_generate(scale=..., today=...)` returns plain dataclasses: 25 genres whose audio features
differ the way real genres do, ~300 artists with made-up English and Korean names, their albums and
~3,000 tracks, and ~1,000 playlists named for situations ("coding focus", "비 오는 날") whose tracks
follow each situation's genre mix and mood, so every recommender gives sensible answers offline.
`ingestion.services.demo` writes it to the database.
"""
from ingestion.demo.generate import (
    DEMO_SEED,
    DemoAlbum,
    DemoArtist,
    DemoCatalog,
    DemoPlaylist,
    DemoTrack,
    demo_catalog_generate,
    demo_sizes,
)
from ingestion.demo.genres import GENRE_BY_NAME, GENRES, GenreProfile
from ingestion.demo.themes import THEME_BY_KEY, THEMES, Theme

__all__ = [
    "DEMO_SEED",
    "GENRES",
    "GENRE_BY_NAME",
    "THEMES",
    "THEME_BY_KEY",
    "DemoAlbum",
    "DemoArtist",
    "DemoCatalog",
    "DemoPlaylist",
    "DemoTrack",
    "GenreProfile",
    "Theme",
    "demo_catalog_generate",
    "demo_sizes",
]
