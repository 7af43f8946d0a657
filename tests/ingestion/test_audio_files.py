"""What an audio file is and what its name and tags say, before any track is looked at."""
import pytest

from ingestion.audio.files import AudioRejected, audio_check
from ingestion.audio.names import NameHints, name_hints
from ingestion.audio.tags import AudioTags, audio_tags, normalized_isrc
from tests.ingestion.sounds import tagged, tone


@pytest.mark.parametrize("format, mime", [("wav", "audio/wav"), ("flac", "audio/flac"), ("ogg", "audio/ogg"),
                                          ("mp3", "audio/mpeg")])
def test_every_format_the_analysis_reads_is_accepted(format, mime):
    info = audio_check(tone(seconds=2.0, format=format), max_bytes=10**7)

    assert (info.mime, info.extension, info.channels, info.duration_ms) == (mime, format, 1, 2000)


@pytest.mark.parametrize("data, name, code", [
    (b"", "a.mp3", "empty"),
    (b"plain text, not a song\n" * 50, "a.mp3", "undecodable"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40, "a.wav", "undecodable"),
    (b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 300, "a.m4a", "aac"),
])
def test_what_is_not_audio_is_rejected_with_its_reason(data, name, code):
    with pytest.raises(AudioRejected) as rejected:
        audio_check(data, max_bytes=10**7, name=name)

    assert rejected.value.code == code


def test_a_truncated_mp3_and_a_click_are_rejected():
    with pytest.raises(AudioRejected):
        audio_check(tone(format="mp3")[:150], max_bytes=10**7)
    with pytest.raises(AudioRejected) as short:
        audio_check(tone(seconds=0.1), max_bytes=10**7)
    assert short.value.code == "too_short" and "0.10 s" in str(short.value)


def test_a_file_over_the_limit_is_rejected_before_decoding():
    with pytest.raises(AudioRejected) as rejected:
        audio_check(tone(format="wav"), max_bytes=1000)

    assert rejected.value.code == "too_big" and rejected.value.params["limit"] == 1000


@pytest.mark.parametrize("format", ["mp3", "ogg", "flac", "wav"])
def test_isrc_artist_and_title_are_read_from_the_tags(format):
    data = tagged(tone(format=format), format, isrc="KR-A38-22-00123", artist="아이유", title="밤편지")

    assert audio_tags(data) == AudioTags(isrc="KRA382200123", artist="아이유", title="밤편지")


def test_a_file_without_tags_has_none():
    assert audio_tags(tone(format="wav")) == AudioTags() and audio_tags(b"not audio") == AudioTags()


@pytest.mark.parametrize("name, hints", [
    ("track-123.mp3", NameHints(track_id=123)),
    ("Track 01.wav", NameHints()),  # a ripped album's numbering is no catalog id
    ("spotify_track_4uLU6hMCjMI75M1A2tKUQC.ogg", NameHints(spotify_id="4uLU6hMCjMI75M1A2tKUQC")),
    ("4uLU6hMCjMI75M1A2tKUQC.ogg", NameHints(spotify_id="4uLU6hMCjMI75M1A2tKUQC")),
    ("Incomprehensibilities.mp3", NameHints()),  # 22 letters, but no id
    ("USRC17607839.flac", NameHints(isrc="USRC17607839")),
    ("NewJeans - Hype Boy.mp3", NameHints(artist="NewJeans", title="Hype Boy")),
    ("03. NewJeans - Hype Boy - Radio Edit.mp3", NameHints(artist="NewJeans", title="Hype Boy - Radio Edit")),
    ("3 Doors Down - Kryptonite.mp3", NameHints(artist="3 Doors Down", title="Kryptonite")),
    ("2NE1 - I Am the Best.ogg", NameHints(artist="2NE1", title="I Am the Best")),
    ("folder/sub/IU - 밤편지.flac", NameHints(artist="IU", title="밤편지")),
])
def test_file_names_give_ids_isrcs_or_artist_and_title(name, hints):
    assert name_hints(name) == hints


def test_isrcs_are_normalized_or_refused():
    assert normalized_isrc(" us-rc1-76-07839 ") == "USRC17607839"
    assert normalized_isrc("USRC1760783") == "" and normalized_isrc("12RC17607839") == ""
