"""Situations the demo's playlists are made for: names in English and Korean, a genre mix and a mood.

A playlist of a theme takes tracks whose genre is in the theme's mix and whose features fall in the
theme's mood ranges, so playlists of one situation share a neighbourhood of tracks (which Song2Vec
learns) and a situation typed by a listener ("코딩할 때 듣기 좋은 음악") finds them by name.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

Mood = dict[str, tuple[float, float]]

# How far outside a mood range counts as one unit of misfit, per feature.
_MISFIT_UNIT = {"tempo": 10.0, "loudness": 3.0}


@dataclass(frozen=True, slots=True)
class Theme:
    key: str
    names: tuple[str, ...]  # English and Korean names a playlist of this situation may carry
    genres: dict[str, float]  # genre -> weight in the mix
    mood: Mood  # feature -> (low, high)
    share: float = 1.0  # how many playlists it gets, relative to the others

    def fit(self, features: dict[str, float | int] | None) -> float:
        """1.0 for a track inside every mood range, falling off with distance; unknown features fit weakly."""
        if features is None:
            return 0.2
        misfit = 0.0
        for name, (low, high) in self.mood.items():
            value = features[name]
            misfit += max(low - value, value - high, 0.0) / _MISFIT_UNIT.get(name, 0.1)
        return math.exp(-misfit)


def _theme(key: str, names: str, genres: str, share: float = 1.0, **mood: tuple[float, float]) -> Theme:
    """Compact table rows: names separated by "|", genres as "genre:weight" separated by ","."""
    mix = {g.split(":")[0].strip(): float(g.split(":")[1]) for g in genres.split(",")}
    return Theme(key, tuple(n.strip() for n in names.split("|")), mix, mood, share)


THEMES: tuple[Theme, ...] = (
    _theme("coding focus", "coding focus|코딩할 때|late night coding|코딩할 때 듣기 좋은 음악|deep focus|집중 모드",
           "lo-fi:3, ambient:2, edm:1, house:1, classical:1, jazz:1", 1.5,
           energy=(0.15, 0.6), instrumentalness=(0.4, 1.0), speechiness=(0.0, 0.1)),
    _theme("study", "study|공부할 때|study session|시험기간|도서관에서|공부 음악",
           "lo-fi:3, classical:2, jazz:2, ambient:2, acoustic:1", 1.5,
           energy=(0.05, 0.45), instrumentalness=(0.3, 1.0)),
    _theme("workout", "workout|헬스|gym|운동할 때|beast mode|헬스장 노동요",
           "edm:3, hip hop:3, k-rap:2, metal:1, house:1, dance pop:1", 1.5,
           energy=(0.78, 1.0), tempo=(118, 180), danceability=(0.55, 1.0)),
    _theme("running", "running|러닝|달릴 때|run 5k|조깅|running pace",
           "edm:3, house:2, dance pop:2, k-pop:2, pop:1", 1.2, energy=(0.75, 1.0), tempo=(122, 180)),
    _theme("rainy day", "비 오는 날|rainy day|빗소리와 함께|rainy afternoon|장마|비 오는 날 듣는 노래",
           "ballad:2, k-indie:2, jazz:2, acoustic:2, r&b:1, lo-fi:1", 1.5,
           energy=(0.1, 0.5), valence=(0.1, 0.45), acousticness=(0.4, 1.0)),
    _theme("sleep", "sleep|잠들기 전|자기 전에|deep sleep|수면 음악|잠이 안 올 때",
           "ambient:3, classical:3, acoustic:1, lo-fi:1", 1.2,
           energy=(0.0, 0.25), tempo=(50, 100), acousticness=(0.6, 1.0)),
    _theme("drive", "드라이브|drive|night drive|야간 드라이브|드라이브할 때|드라이브 노래",
           "city pop:3, r&b:2, pop:2, k-pop:1, house:1, indie:1", 1.5, energy=(0.5, 0.85), valence=(0.4, 0.85)),
    _theme("road trip", "road trip|여행 갈 때|여행|summer road trip|떠나요",
           "pop:3, indie:2, rock:2, folk:1, k-pop:1", energy=(0.6, 0.9), valence=(0.6, 1.0)),
    _theme("party", "party|파티|house party|불금|club night|파티 플레이리스트",
           "edm:3, dance pop:3, house:2, latin:2, k-pop:1, hip hop:1", 1.3,
           energy=(0.72, 1.0), danceability=(0.7, 1.0), valence=(0.5, 1.0)),
    _theme("breakup", "breakup|이별|헤어진 후|이별 노래|heartbreak|이별했을 때",
           "ballad:4, ost:2, r&b:2, indie:1, pop:1", 1.2, valence=(0.0, 0.35), energy=(0.15, 0.55)),
    _theme("morning coffee", "morning coffee|아침|모닝 커피|good morning|상쾌한 아침",
           "acoustic:3, jazz:2, folk:2, indie:1, city pop:1",
           energy=(0.3, 0.6), valence=(0.5, 0.9), acousticness=(0.4, 1.0)),
    _theme("chill", "chill|칠|chill vibes|여유로운 오후|lazy sunday|쉬는 날",
           "lo-fi:2, r&b:2, indie:2, k-indie:2, city pop:1, soul:1", 1.3, energy=(0.25, 0.6), valence=(0.35, 0.75)),
    _theme("commute", "출근길|commute|퇴근길|subway ride|on the way home|출퇴근길",
           "k-pop:2, pop:2, k-indie:2, indie:1, r&b:1, ballad:1", energy=(0.45, 0.8)),
    _theme("k-pop hits", "k-pop hits|케이팝|아이돌 노래|kpop dance|신나는 케이팝|요즘 케이팝",
           "k-pop:6, dance pop:2", 1.3, energy=(0.7, 1.0), valence=(0.55, 1.0)),
    _theme("hip hop", "hip hop|힙합|국힙|underground rap|힙합 플레이리스트|rap workout",
           "hip hop:3, k-rap:3, r&b:1", speechiness=(0.15, 0.6)),
    _theme("cafe", "cafe|카페|카페에서|coffee shop jazz|jazz bar|재즈 바",
           "jazz:5, soul:1, acoustic:1, r&b:1", acousticness=(0.4, 1.0), energy=(0.15, 0.55)),
    _theme("classical", "classical essentials|클래식|piano classics|클래식 명곡|concentration classical",
           "classical:6, ambient:1", 0.8, instrumentalness=(0.6, 1.0)),
    _theme("reading", "reading|책 읽을 때|독서|book club|quiet reading",
           "classical:2, jazz:2, ambient:2, acoustic:2, lo-fi:1", 0.8, energy=(0.0, 0.4)),
    _theme("summer", "summer|여름|summer vibes|바캉스|beach day|여름 노래",
           "latin:3, dance pop:2, k-pop:2, pop:2, city pop:1, funk:1", valence=(0.65, 1.0), energy=(0.65, 1.0)),
    _theme("winter", "winter|겨울|첫눈 올 때|christmas|크리스마스|겨울 감성",
           "ballad:2, acoustic:2, pop:2, jazz:2, ost:1", valence=(0.35, 0.8), acousticness=(0.3, 1.0)),
    _theme("spring", "spring|봄|벚꽃|spring picnic|봄날|봄 노래",
           "k-indie:3, acoustic:2, pop:2, k-pop:1, folk:1", valence=(0.6, 0.95), energy=(0.35, 0.7)),
    _theme("late night", "새벽 감성|late night|새벽|midnight thoughts|3am|새벽에 듣는 노래",
           "r&b:3, k-indie:2, lo-fi:2, indie:1, ballad:1", 1.2, energy=(0.2, 0.5), valence=(0.1, 0.45)),
    _theme("sad", "sad songs|우울할 때|sad|울고 싶을 때|cry it out|위로가 필요할 때",
           "ballad:3, indie:2, ost:2, acoustic:1, r&b:1", valence=(0.0, 0.3), energy=(0.1, 0.45)),
    _theme("good mood", "good mood|기분 좋을 때|happy|feel good|신나는 노래|기분 전환",
           "pop:3, k-pop:2, funk:2, city pop:1, soul:1, latin:1", 1.2, valence=(0.7, 1.0), energy=(0.6, 0.95)),
    _theme("rock", "rock|락|rock anthems|밴드 음악|guitar heroes|밴드 사운드",
           "rock:4, metal:2, indie:2", energy=(0.7, 1.0), acousticness=(0.0, 0.2)),
    _theme("trot", "트로트|trot|부모님과 함께|트로트 메들리|효도 플레이리스트",
           "trot:6, ballad:1", 0.7, valence=(0.55, 0.95), energy=(0.5, 0.9)),
    _theme("drama ost", "드라마 ost|drama ost|ost 명곡|movie soundtrack|영화 음악",
           "ost:5, ballad:2, classical:1", 0.8, energy=(0.15, 0.6)),
    _theme("karaoke", "노래방|karaoke|노래방 애창곡|sing along|떼창",
           "ballad:3, k-pop:2, pop:2, trot:1, rock:1", 0.8, valence=(0.35, 0.9)),
    _theme("yoga", "yoga|요가|meditation|명상|stretching|스트레칭",
           "ambient:4, acoustic:2, classical:1", 0.7, energy=(0.0, 0.3), instrumentalness=(0.5, 1.0)),
    _theme("date night", "date night|데이트|love songs|사랑 노래|설렘|썸 탈 때",
           "r&b:3, ballad:2, pop:2, soul:1, jazz:1, k-pop:1", valence=(0.45, 0.85), energy=(0.3, 0.65)),
    _theme("groove", "groove|그루브|funk & soul|소울|70s groove",
           "funk:3, soul:3, r&b:2, city pop:1", 0.7, danceability=(0.65, 1.0)),
    _theme("walk", "산책|walk|evening walk|한강 산책|sunset|노을 질 때",
           "k-indie:3, indie:2, acoustic:2, folk:1, city pop:1", energy=(0.3, 0.65), valence=(0.4, 0.8)),
)
THEME_BY_KEY: dict[str, Theme] = {t.key: t for t in THEMES}
