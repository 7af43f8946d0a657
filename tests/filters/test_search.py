"""filters.search on its own: no database, exact expectations on a handful of names."""
from filters.search import NameIndex, fold, initials, is_initials_query, searchable

NAMES = [
    (1, "title", "Moonlight"),
    (2, "title", "Moonlight Pt. 2"),
    (2, "artist", "Darune"),
    (3, "title", "바람아 불어라"),
    (4, "title", "여름밤"),
    (4, "album", "비 내리는 밤"),
    (5, "artist", "Moon Jae"),
    (6, "title", "Ｆｕｌｌ Ｗｉｄｔｈ"),
]


def ids(query: str) -> list[int]:
    return [hit.track_id for hit in NameIndex(NAMES).search(query)]


def test_whole_names_come_before_starts_and_starts_before_the_middle():
    assert ids("moonlight") == [1, 2]
    assert ids("moon")[:2] == [1, 2] and 5 in ids("moon")  # titles outrank the artist "Moon Jae"
    assert ids("light") == [1, 2]


def test_a_typo_still_finds_the_song_but_below_real_matches():
    assert ids("moonlite") == [1, 2]
    assert ids("바람아 불어러") == [3]  # one wrong vowel, counted as one letter of its jamo


def test_one_hangul_syllable_is_a_search_one_latin_letter_is_not():
    assert ids("비") == [4] and ids("밤") == [4]
    assert ids("m") == [] and not searchable("m") and searchable("비")


def test_initial_consonants_find_hangul_names():
    assert is_initials_query("ㅂㄹ") and not is_initials_query("ㅂ")
    assert initials("바람아 불어라") == "ㅂㄹㅇㅂㅇㄹ"
    assert ids("ㅂㄹ") == [3] and ids("ㅇㄹㅂ") == [4]


def test_names_are_folded_for_case_width_and_punctuation():
    assert fold("Moonlight Pt. 2") == "moonlight pt 2"
    assert ids("full width") == [6]


def test_a_short_word_does_not_fuzzily_match_unrelated_names():
    assert NameIndex([(1, "title", "Overdrive"), (2, "title", "Lovesick")]).search("love")[0].track_id == 2
    assert [hit.track_id for hit in NameIndex([(1, "title", "Overdrive")]).search("love")] == []
