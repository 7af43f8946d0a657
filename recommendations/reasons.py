"""The words of every "why this song": engines give a reason as `Reason` parts (a kind and its values,
`recommendations.engines`); this module is the one place that says them, in the active language (ko / en).

Names of songs, artists, playlists and genres are values: they are interpolated as they are (the templates
escape them), never translated. A part whose kind has no words here renders as "" (and is logged), so an engine
that grows a kind without one fails tests/recommendations/test_reasons.py rather than a page.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from recommendations.engines import MessageKind, Reason, ReasonKind, reason_parts_from_json

if TYPE_CHECKING:
    from recommendations.engines.clusters import ClusterProfile

logger = logging.getLogger(__name__)

PART_SEPARATOR = "; "


# --- values as words ---


def _quoted(name: Any) -> str:
    return f"“{name}”"


def _track(value: Any) -> str:
    """A track named by {"title", "artist"}: “Hype Boy” by NewJeans / NewJeans의 “Hype Boy”."""
    value = value if isinstance(value, Mapping) else {"title": str(value)}
    title, artist = str(value.get("title") or ""), str(value.get("artist") or "")
    if not artist:
        return _quoted(title)
    return _("%(title)s by %(artist)s") % {"title": _quoted(title), "artist": artist}


def _and(words: Sequence[str]) -> str:
    """["a"] -> "a"; ["a", "b"] -> "a and b" (ko: "a, b"); longer lists: "a, b and c"."""
    words = [str(word) for word in words]
    if len(words) < 2:
        return "".join(words)
    return _("%(first)s and %(last)s") % {"first": ", ".join(words[:-1]), "last": words[-1]}


def _names(values: Iterable[Any]) -> str:
    return ", ".join(_quoted(value) for value in values)


def _feature(name: str) -> str:
    words = {
        "danceability": pgettext("audio feature", "danceability"),
        "energy": pgettext("audio feature", "energy"),
        "valence": pgettext("audio feature", "brightness"),
        "tempo": pgettext("audio feature", "tempo"),
        "acousticness": pgettext("audio feature", "acousticness"),
    }
    return words.get(name, name)


def _choice(value: str) -> str:
    """A taste filter's value (content.Mood / Speed / Emotion) as the word a listener chose."""
    words = {
        "bright": pgettext("taste filter", "bright"),
        "dark": pgettext("taste filter", "dark"),
        "fast": pgettext("taste filter", "fast"),
        "slow": pgettext("taste filter", "slow"),
        "depressed": pgettext("taste filter", "uplifting"),
        "normal": pgettext("taste filter", "even-tempered"),
        "excited": pgettext("taste filter", "high energy"),
    }
    return words.get(value, value)


def _date(value: Any) -> str:
    try:
        return date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT")
    except ValueError:
        return str(value)


def _percent(share: Any) -> str:
    return f"{float(share):.0%}"


# --- cluster names, from a cluster's profile ---

# A trait (clusters.TRAIT_WORDS): its word before another trait and its word right before the noun. English
# uses the same word twice; Korean joins adjectives with -고 and ends with the attributive form (빠르고 신나는).
CLUSTER_NOUN_TRAIT = "danceable"  # a danceable cluster is "dance", not "danceable songs"


def _trait_words(trait: str) -> tuple[str, str]:
    words = {
        "fast": (pgettext("cluster trait before another", "fast"), pgettext("cluster trait", "fast")),
        "slow": (pgettext("cluster trait before another", "slow"), pgettext("cluster trait", "slow")),
        "energetic": (pgettext("cluster trait before another", "upbeat"), pgettext("cluster trait", "upbeat")),
        "calm": (pgettext("cluster trait before another", "calm"), pgettext("cluster trait", "calm")),
        "bright": (pgettext("cluster trait before another", "bright"), pgettext("cluster trait", "bright")),
        "dark": (pgettext("cluster trait before another", "dark"), pgettext("cluster trait", "dark")),
        "acoustic": (pgettext("cluster trait before another", "acoustic"), pgettext("cluster trait", "acoustic")),
        "electric": (pgettext("cluster trait before another", "electric"), pgettext("cluster trait", "electric")),
        "hard to dance to": (
            pgettext("cluster trait before another", "free-rhythm"),
            pgettext("cluster trait", "free-rhythm"),
        ),
    }
    return words.get(trait, (trait, trait))


def cluster_name(traits: Sequence[str], genres: Sequence[str] = ()) -> str:
    """A cluster named by its profile: "fast, upbeat dance · k-pop" / "빠르고 신나는 댄스 · k-pop"."""
    adjectives = [trait for trait in traits if trait != CLUSTER_NOUN_TRAIT]
    noun = pgettext("cluster noun", "dance") if CLUSTER_NOUN_TRAIT in traits else pgettext("cluster noun", "songs")
    if not adjectives:
        name = noun if CLUSTER_NOUN_TRAIT in traits else _("average-sounding songs")
    else:
        words = [_trait_words(trait)[0] for trait in adjectives[:-1]] + [_trait_words(adjectives[-1])[1]]
        name = _("%(traits)s %(noun)s") % {"traits": pgettext("between cluster traits", ", ").join(words), "noun": noun}
    genres = [str(genre) for genre in genres if genre]
    return f"{name} · {genres[0]}" if genres else name


def cluster_profile_name(profile: ClusterProfile) -> str:
    return cluster_name(profile.traits, profile.top_genres[:1])


def cluster_profile_description(profile: ClusterProfile) -> str:
    """The cluster's genres in words, beside its name: "mostly k-pop, dance pop" / "주로 k-pop, dance pop"."""
    if not profile.top_genres:
        return ""
    return _("mostly %(genres)s") % {"genres": ", ".join(profile.top_genres)}


# --- situations understood from a text (engines.situations keys) ---


def situation_word(key: str) -> str:
    """A situation the engine understood ("focus", "rain") in the reader's language; unknown keys as they are."""
    words = {
        "focus": pgettext("situation", "focus"),
        "rain": pgettext("situation", "rain"),
        "drive": pgettext("situation", "drive"),
        "workout": pgettext("situation", "workout"),
        "sleep": pgettext("situation", "sleep"),
        "party": pgettext("situation", "party"),
        "sad": pgettext("situation", "sad"),
        "morning": pgettext("situation", "morning"),
        "chill": pgettext("situation", "chill"),
        "love": pgettext("situation", "love"),
        "happy": pgettext("situation", "happy"),
        "night": pgettext("situation", "night"),
        "summer": pgettext("situation", "summer"),
        "winter": pgettext("situation", "winter"),
        "autumn": pgettext("situation", "autumn"),
        "spring": pgettext("situation", "spring"),
        "christmas": pgettext("situation", "christmas"),
        "worship": pgettext("situation", "worship"),
        "throwback": pgettext("situation", "throwback"),
        "dance": pgettext("situation", "dance"),
        "travel": pgettext("situation", "travel"),
        "cooking": pgettext("situation", "cooking"),
        "cleaning": pgettext("situation", "cleaning"),
        "walk": pgettext("situation", "walk"),
        "shower": pgettext("situation", "shower"),
        "cafe": pgettext("situation", "cafe"),
    }
    return words.get(key, key)


def situation_words(keys: Iterable[str]) -> str:
    return ", ".join(situation_word(key) for key in keys)


# --- a list's new releases ---


def new_releases_text(summary: Mapping[str, Any]) -> str:
    """How many of a list's songs are new releases and, when few are, why (services.today.today_new_releases)."""
    new, total, days = int(summary.get("new", 0)), int(summary.get("catalog_new", 0)), int(summary.get("days", 0))
    if not summary.get("songs"):
        return ""
    if new:
        line = ngettext(
            "%(count)d new release, first on the list.", "%(count)d new releases, first on the list.", new
        ) % {"count": new}
    else:
        line = _("No new releases on this list.")
    if not summary.get("few"):
        return line
    if total == 0:
        why = ngettext(
            "No song in the catalog came out in the last %(days)d day.",
            "No song in the catalog came out in the last %(days)d days.",
            days,
        ) % {"days": days}
    elif total <= new:
        why = ngettext(
            "The catalog has only %(count)d song released in the last %(days)d days.",
            "The catalog has only %(count)d songs released in the last %(days)d days.",
            total,
        ) % {"count": total, "days": days}
    elif new == 0:
        why = ngettext(
            "None of the catalog's %(total)d new release matches your taste yet.",
            "None of the catalog's %(total)d new releases matches your taste yet.",
            total,
        ) % {"total": total}
    else:
        why = ngettext(
            "Only %(count)d of the catalog's %(total)d new releases matches your taste.",
            "Only %(count)d of the catalog's %(total)d new releases match your taste.",
            new,
        ) % {"count": new, "total": total}
    return f"{line} {why}"


# --- every kind ---


def _cluster_group(values: Mapping[str, Any]) -> str:
    return cluster_name(values.get("traits") or (), values.get("genres") or ())


def _cluster_share(values: Mapping[str, Any]) -> str:
    words = {"group": _cluster_group(values), "share": _percent(values.get("share", 0))}
    if values.get("of") == "playlist":
        return _("from the %(group)s group (%(share)s of your songs)") % words
    return _("from the %(group)s group (%(share)s of the catalog)") % words


def _blend_signal(values: Mapping[str, Any]) -> str:
    words = {
        "cooccurrence": _("often in playlists with your tracks"),
        "song2vec": _("close to your tracks and words"),
        "cf": _("people who keep your tracks also keep this"),
        "terms": _("its playlists use words like yours"),
        "popularity": _("popular in playlists"),
        "artist": _("by an artist in your playlist"),
    }
    return words.get(str(values.get("signal")), "")


def _resembles_liked(values: Mapping[str, Any]) -> str:
    words = {"favourite": _track(values["favourite"])}
    if values.get("features"):
        words["features"] = _and([_feature(name) for name in values["features"]])
        return _("like %(favourite)s, a song you liked: similar %(features)s") % words
    return _("like %(favourite)s, a song you liked") % words


def _situation_no_match(values: Mapping[str, Any]) -> str:
    text = {"text": _quoted(values.get("text", ""))}
    if values.get("instead") == "popular":
        sentence = _("No playlist name matches %(text)s, so here are songs popular in playlists instead.") % text
    else:
        sentence = _("No playlist name matches %(text)s, so here are songs close to your tracks instead.") % text
    return sentence + " " + _("Try a situation such as “study”, “rainy day”, “workout”, “드라이브” or “잠들기 전”.")


RENDERINGS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    ReasonKind.SAME_GENRES: lambda v: _("same genres as %(favourite)s: %(genres)s")
    % {"favourite": _track(v["favourite"]), "genres": ", ".join(v["genres"])},
    ReasonKind.CLOSE_GENRES: lambda v: _("genres close to %(favourite)s: %(genres)s")
    % {"favourite": _track(v["favourite"]), "genres": ", ".join(v["genres"])},
    ReasonKind.OTHER_GENRES: lambda v: _("other genres than %(favourite)s") % {"favourite": _track(v["favourite"])},
    ReasonKind.GENRES_UNKNOWN: lambda v: _("genres unknown"),
    ReasonKind.SIMILAR_FEATURES: lambda v: _("similar %(features)s")
    % {"features": _and([_feature(name) for name in v["features"]])},
    ReasonKind.SOUNDS_LIKE: lambda v: _("sounds like %(favourite)s: similar %(features)s")
    % {"favourite": _track(v["favourite"]), "features": _and([_feature(name) for name in v["features"]])},
    ReasonKind.FEATURES_UNKNOWN: lambda v: _("audio features unknown"),
    ReasonKind.FITS_FILTERS: lambda v: _("as you asked: %(choices)s")
    % {"choices": ", ".join(_choice(value) for value in v["choices"])},
    ReasonKind.NEXT_BEST: lambda v: _("next best match for your favourites"),
    ReasonKind.CLOSEST_TO_FILTERS: lambda v: _("closest to your filters"),
    ReasonKind.POPULAR_IN_CATALOG: lambda v: _("popular in the catalog"),
    ReasonKind.RELEASED: lambda v: _("released %(date)s") % {"date": _date(v["date"])},
    ReasonKind.RELEASE_UNKNOWN: lambda v: _("release date unknown"),
    ReasonKind.CLUSTER_SHARE: _cluster_share,
    ReasonKind.CLUSTER_FILLING: lambda v: _("from the %(group)s group (filling in: your groups ran out)")
    % {"group": _cluster_group(v)},
    ReasonKind.PLACED_BY_GENRE: lambda v: _("placed by genre (audio features unknown)"),
    ReasonKind.IN_PLAYLISTS: lambda v: _("in playlists like %(playlists)s") % {"playlists": _names(v["playlists"])},
    ReasonKind.LIKE_PLAYLISTS: lambda v: _("sounds like playlists %(playlists)s")
    % {"playlists": _names(v["playlists"])},
    ReasonKind.BY_ARTIST: lambda v: _("by %(artist)s") % {"artist": v["artist"]},
    ReasonKind.GOES_WITH_ARTIST: lambda v: _("goes with %(artist)s") % {"artist": v["artist"]},
    ReasonKind.WITH_YOUR_TRACKS: lambda v: _("often in playlists with your tracks"),
    ReasonKind.CLOSE_TO_YOUR_TRACKS: lambda v: _("close to your tracks"),
    ReasonKind.PLACED_BY_CONTENT: lambda v: _("new: placed by its genres and sound"),
    ReasonKind.POPULAR_IN_PLAYLISTS: lambda v: _("popular in playlists"),
    ReasonKind.KEPT_WITH_YOURS: lambda v: _("people who keep your tracks also keep this"),
    ReasonKind.KEPT_BY_MANY: lambda v: _("kept by many listeners"),
    ReasonKind.PLAYLISTS_CALLED: lambda v: _("playlists called %(terms)s are full of it")
    % {"terms": _names(v["terms"])},
    ReasonKind.WORDS_LIKE_YOURS: lambda v: _("its playlists use words like yours"),
    ReasonKind.COMMON_IN_PLAYLISTS: lambda v: _("common in playlists"),
    ReasonKind.BLEND_SIGNAL: _blend_signal,
    ReasonKind.FROM_PLAYLIST: lambda v: _("in the playlist %(playlist)s") % {"playlist": _quoted(v["playlist"])},
    ReasonKind.RESEMBLES_LIKED: _resembles_liked,
    MessageKind.SITUATION_NO_MATCH: _situation_no_match,
    MessageKind.SEEDS_UNKNOWN: lambda v: _(
        "None of these tracks is in the model yet, so here are songs popular in playlists."
    ),
    MessageKind.CF_SEEDS_UNKNOWN: lambda v: _(
        "None of these tracks is in the model yet, so here are the most kept songs."
    ),
    MessageKind.TERMS_NO_MATCH: lambda v: _(
        "No playlist name or genre uses the words of %(text)s, so here are common songs."
    )
    % {"text": _quoted(v["text"])},
}


def part_text(part: Reason) -> str:
    """One part in the active language; "" for a kind without words or values it cannot use (logged)."""
    render = RENDERINGS.get(part.kind)
    if render is None:
        logger.error("reason kind %r has no words", part.kind)
        return ""
    try:
        return render(part.values)
    except (KeyError, TypeError, ValueError):
        logger.exception("reason %r: values it cannot word", part.kind)
        return ""


def reason_text(parts: Iterable[Reason] | Reason | None) -> str:
    """A whole reason (its parts) as one line in the active language."""
    if parts is None:
        return ""
    if isinstance(parts, Reason):
        parts = (parts,)
    return PART_SEPARATOR.join(text for text in (part_text(part) for part in parts) if text)


def reason_json(parts: Iterable[Reason]) -> list[dict[str, Any]]:
    """The API's form: [{"kind", "values", "text"}], text in the active language."""
    return [{**part.to_json(), "text": part_text(part)} for part in parts]


def stored_reason_text(data: Any, legacy_text: str = "") -> str:
    """A stored list's reason (kind + values JSON) in the active language; rows stored before reasons had kinds
    keep their text."""
    parts = reason_parts_from_json(data)
    return reason_text(parts) if parts else legacy_text
