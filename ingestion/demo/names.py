"""Made-up names for demo artists, albums, tracks and playlists, in English and Korean.

Artist names are built from invented syllables and uncommon word pairs so that they do not name real
artists; titles reuse ordinary words (song titles are not anyone's name).
"""
from __future__ import annotations

import random

from ingestion.demo.themes import Theme


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    """Word lists written as one string, so that they read as a line of text."""
    return tuple(text.split(sep))


_KO_SURNAMES = _words("김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 홍 문 배 백 노")
_KO_GIVEN = _words("하 서 윤 지 민 도 현 유 은 수 예 린 온 율 아 진 해 솔 나 결 담 별 채 겸 슬 단 새 봄 우 람")
_KO_ADJECTIVES = _words("푸른 작은 느린 하얀 늦은 조용한 둥근 깊은 따뜻한 낯선 먼 오래된 빛나는 졸린 투명한 서툰")
_KO_NOUNS = _words("정원 우산 편지 고양이 섬 궤도 온도 계절 등대 숲 창문 기차 바다 골목 서랍 행성 여름 새벽 파도 필름")
_KO_TITLE_LEFT = _words("새벽 여름 겨울 오늘 우리 너의 마지막 작은 푸른 느린 하얀 첫 그날의 어제의 빗속의 먼")
_KO_TITLE_RIGHT = _words(
    "편지 바다 정류장 노래 꿈 온도 계절 달 별 골목 우산 창가 약속 산책 고백 안부 기억 불빛 노을 소나기 하루 일기"
)
_TROT_TITLES = _words(
    "사랑의 정류장|인생 한 잔|고향 가는 길|내 나이가 어때서요|청춘 열차|당신은 내 운명|막걸리 한 사발|"
    "첫사랑 연가|바람아 불어라|동백 아가씨의 노래|남행 열차 타고|사랑아 가지 마라|오늘도 웃자|꽃길만 걷자",
    sep="|",
)

_SYLLABLES_START = _words("Lu No Ve Zy Ar Mi Ka Se Yu Ri Xe Qu Ta Vo El Ha Sol Da Ne")
_SYLLABLES_END = _words("mina vara lien rix nova shel teon rune via lume ren kai zel ora sen dia")
_EN_ADJECTIVES = _words(
    "Velvet Quiet Golden Amber Lunar Faded Copper Marble Cobalt Saffron Indigo Crimson Paper Northern Tidal "
    "Gentle Restless Distant Sleepless Painted Wandering Hidden Slow Bright"
)
_EN_BAND_NOUNS = _words(
    "Harbor Lanterns Orchard Satellites Meridian Parade Atlas Comets Gardens Signal Ferns Hours Bureau "
    "Cartographers Lighthouse Tramlines Postcards Weathervanes Orbiters Pilots Greenhouse Reverie"
)
_EN_FIRST = _words("Mara Jonah Elise Theo Nadia Caleb Iris Felix Juno Rowan Esme Silas Wren Milo Clara Ezra Odessa")
_EN_LAST = _words("Vance Holloway Kestrel Marlowe Ashby Calder Thorne Lark Sorensen Pryce Okafor Alder Quill Vale")
_EN_TITLE_WORDS = _words(
    "Afterglow|Low Tide|Gravity|Satellite|Blue Hour|Slow Dance|Daydream|Fever|Polaroid|Homesick|Runaway|"
    "Neon Rain|Letters|Overdrive|Sunday Light|Static|Honey|Lemonade|Undertow|Glass Heart|Wildfire|Northbound|"
    "Echoes|Stay|Orbit|Crush|Weekend|Paper Planes|Moonlight|Heartbeat|Butterfly|Firework|Good Days|Rewind|"
    "Cherry Soda|Last Train|Summer Haze|Golden|Lighthouse|Strawberry Sky|Kaleidoscope|Bittersweet|Silhouette",
    sep="|",
)
_EN_TITLE_TAILS = ("", "", "", "", " (Acoustic)", " Again", " Tonight", " Forever", " (Remix)", " Pt. 2")
_JP_SYLLABLES = _words("ka mi so ra yu ki ha ru na to shi ne ri ko sa ma")
_ENSEMBLE_PLACES = _words("Hanbit Arden Eunha Whitmore Lindenhof Calloway Sorae Ashcombe Dalbit Mirren")
_ENSEMBLE_KINDS = _words("String Quartet|Chamber Ensemble|Piano Trio|Sinfonietta|Consort|Chamber Orchestra", sep="|")
_FORMS = _words("Nocturne Sonata Prelude Étude Suite Serenade Fantasia Impromptu Romance Partita")
_MOVEMENTS = _words("I. Allegro|II. Adagio|III. Andante cantabile|Largo|Scherzo|Minuet|IV. Presto|Intermezzo", sep="|")
_PITCHES = _words("C|C♯|D|E♭|E|F|F♯|G|A♭|A|B♭|B", sep="|")
_ORDINALS = ("1st", "2nd", "3rd", "4th", "5th")
# An emoji people would put before a playlist of the theme; others get headphones.
_THEME_EMOJI = {
    "rainy day": "🌧", "sleep": "💤", "late night": "🌙", "morning coffee": "☕", "cafe": "☕", "workout": "🔥",
    "running": "🏃", "drive": "🚗", "road trip": "🚗", "party": "🎉", "summer": "🏖", "winter": "❄️",
    "spring": "🌸", "breakup": "💔", "sad": "💧", "date night": "💕", "yoga": "🧘", "coding focus": "💻",
}


def artist_name(rng: random.Random, style: str) -> str:
    """An invented name in the way artists of a genre are named (idol group, Korean band, producer, ...)."""
    makers = {
        "idol": _idol_name,
        "ko": _korean_artist_name,
        "trot": _korean_person_name,
        "en": _english_artist_name,
        "producer": _producer_name,
        "ensemble": _ensemble_name,
        "jp": _japanese_like_name,
    }
    return makers[style](rng)


def _idol_name(rng: random.Random) -> str:
    word = (rng.choice(_SYLLABLES_START) + rng.choice(_SYLLABLES_END)).upper()
    return rng.choice((word, word, word, f"{word}{rng.randint(2, 9)}", f"{word} {rng.choice('XYZ')}"))


def _korean_person_name(rng: random.Random) -> str:
    return rng.choice(_KO_SURNAMES) + rng.choice(_KO_GIVEN) + rng.choice(_KO_GIVEN)


def _korean_artist_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return _korean_person_name(rng)
    return f"{rng.choice(_KO_ADJECTIVES)} {rng.choice(_KO_NOUNS)}"


def _english_artist_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_LAST)}"
    if roll < 0.8:
        return f"The {rng.choice(_EN_ADJECTIVES)} {rng.choice(_EN_BAND_NOUNS)}"
    return rng.choice(_SYLLABLES_START) + rng.choice(_SYLLABLES_END)


def _producer_name(rng: random.Random) -> str:
    word = rng.choice(_SYLLABLES_START) + rng.choice(_SYLLABLES_END)
    adjective = rng.choice(_EN_ADJECTIVES).lower()
    return rng.choice((word.lower(), f"{word.lower()} beats", f"DJ {word}", f"{adjective} {word.lower()}"))


def _ensemble_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(_ENSEMBLE_PLACES)} {rng.choice(_ENSEMBLE_KINDS)}"
    return rng.choice((_korean_person_name(rng), f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_LAST)}"))


def _japanese_like_name(rng: random.Random) -> str:
    word = "".join(rng.choice(_JP_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return rng.choice((word, f"{word} & the {rng.choice(_EN_BAND_NOUNS)}", f"{word} {rng.choice(_EN_LAST)}"))


def track_title(rng: random.Random, style: str, key: int, mode: int) -> str:
    """A title in the language and manner of the artist's style; classical titles name the track's key."""
    if style == "ensemble":
        pitch = _PITCHES[key] if key >= 0 else rng.choice(_PITCHES)
        tonality = "major" if mode == 1 else "minor"
        return f"{rng.choice(_FORMS)} No. {rng.randint(1, 12)} in {pitch} {tonality}: {rng.choice(_MOVEMENTS)}"
    if style == "trot":
        return rng.choice(_TROT_TITLES)
    korean_share = {"ko": 0.8, "idol": 0.45}.get(style, 0.05)
    if rng.random() < korean_share:
        return f"{rng.choice(_KO_TITLE_LEFT)} {rng.choice(_KO_TITLE_RIGHT)}"
    title = rng.choice(_EN_TITLE_WORDS) + rng.choice(_EN_TITLE_TAILS)
    return title.lower() if style == "producer" and rng.random() < 0.6 else title


def album_name(rng: random.Random, style: str, title: str) -> str:
    """An EP's or album's name, usually after its lead track `title`."""
    if style == "idol" and rng.random() < 0.6:
        return f"The {rng.choice(_ORDINALS)} {rng.choice(('Mini Album', 'Album'))} '{title}'"
    if style == "ensemble":
        first, second = rng.sample(_FORMS, 2)
        return f"{first}s and {second}s"
    return rng.choice((title, title, f"{title} (Deluxe)", f"{rng.choice(_EN_ADJECTIVES)} {rng.choice(_EN_BAND_NOUNS)}"))


def playlist_name(rng: random.Random, theme: Theme) -> str:
    """One of the theme's names, sometimes dressed up the way people name their playlists."""
    name = rng.choice(theme.names)
    roll = rng.random()
    if roll < 0.15:
        return f"{_THEME_EMOJI.get(theme.key, '🎧')} {name}"
    if roll < 0.25:
        return f"{name} playlist" if name.isascii() else f"{name} 플리"
    if roll < 0.32:
        return f"{name} vol. {rng.randint(2, 5)}"
    return name
