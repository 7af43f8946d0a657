"""Why a file was refused, as a code and its values: stored that way (an upload's report), worded when read.

The wording is looked up in the reader's language when it is shown (`reason_text`), so a curator reading the admin
in Korean gets Korean even for an upload that ran in an English-speaking worker.
"""
from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, gettext_noop

REASONS: dict[str, str] = {
    "empty": gettext_noop("The file is empty."),
    "too_big": gettext_noop("The file is %(size)s; audio files up to %(limit)s are accepted."),
    "aac": gettext_noop(
        "AAC audio (.m4a) cannot be read here: convert it to MP3, FLAC, Ogg or WAV and upload it again."
    ),
    "undecodable": gettext_noop(
        "This is not audio that can be read (MP3, FLAC, Ogg Vorbis/Opus, WAV or AIFF expected), or the file is "
        "damaged."
    ),
    "silent": gettext_noop("The file holds no sound (no audio frames could be read)."),
    "too_short": gettext_noop("The audio lasts %(seconds)s s; at least half a second is needed."),
    "too_many_files": gettext_noop(
        "An upload holds at most %(limit)s audio files (AUDIO_UPLOAD_MAX_FILES); upload the rest in another batch."
    ),
    "bad_zip": gettext_noop("This zip archive cannot be opened (%(error)s): zip the files again and upload it."),
    "no_match": gettext_noop(
        "No track matches (%(tried)s). Name the file “Artist - Title”, put the track id (track-123), Spotify id "
        "or ISRC in its name or tags, or tick “create tracks” to add it as a new track."
    ),
    "no_hints": gettext_noop(
        "Nothing tells which track this is: name the file “Artist - Title” or track-123, or tag it with artist and "
        "title or an ISRC."
    ),
    "ambiguous": gettext_noop(
        "%(count)s tracks are called “%(title)s” by %(artist)s (ids %(ids)s): put the track id (track-123) or the "
        "ISRC in the file name to say which."
    ),
    "no_names": gettext_noop(
        "No track matches, and a new track needs an artist and a title: name the file “Artist - Title” or tag it."
    ),
    "not_stored": gettext_noop("The file could not be stored (%(error)s); upload it again."),
}

MATCHED_BY: dict[str, str] = {
    "track_id": gettext_noop("by track id"),
    "spotify_id": gettext_noop("by Spotify id"),
    "isrc": gettext_noop("by ISRC"),
    "artist_title": gettext_noop("by artist and title"),
}
_SIZES = ("size", "limit")


def reason_text(code: str, params: dict | None = None) -> str:
    """The reason in the active language, its sizes as "4.2 MB"."""
    template = REASONS.get(code)
    if template is None:
        return code
    shown = {key: filesizeformat(value) if key in _SIZES else value for key, value in (params or {}).items()}
    return gettext(template) % shown if shown else gettext(template)


def matched_by_text(how: str) -> str:
    return gettext(MATCHED_BY[how]) if how in MATCHED_BY else how
