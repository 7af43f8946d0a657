"""Korean and English: the compiled catalog is in step with the .po, and the language follows the visitor."""
import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def po_entries(path: Path) -> list[dict]:
    """The .po's entries as {"flags", "msgctxt", "msgid", "msgid_plural", "msgstr", "msgstr[0]"...}."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": ""}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif match := re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line):
                key = match.group(1)
                entry[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                entry[key] += ast.literal_eval(line)
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def translated_entries() -> list[dict]:
    return [
        entry
        for entry in po_entries(PO)
        if "fuzzy" not in entry["flags"] and (entry.get("msgstr") or entry.get("msgstr[0]"))
    ]


def test_the_catalog_and_its_compiled_file_are_in_the_repository():
    assert PO.is_file() and MO.is_file()
    assert len(translated_entries()) >= 100


def test_the_compiled_catalog_is_not_stale():
    """Fails when the .po changed but `manage.py compilemessages` was not run (a fresh machine may lack gettext)."""
    stale = []
    with translation.override("ko"):
        for entry in translated_entries():
            if "msgid_plural" in entry:
                got, want = translation.ngettext(entry["msgid"], entry["msgid_plural"], 1), entry["msgstr[0]"]
            elif "msgctxt" in entry:
                got, want = translation.pgettext(entry["msgctxt"], entry["msgid"]), entry["msgstr"]
            else:
                got, want = translation.gettext(entry["msgid"]), entry["msgstr"]
            if got != want:
                stale.append(entry["msgid"])
    assert stale == [], "run `python manage.py compilemessages --ignore=.venv` and commit the .mo"


def test_placeholders_survive_translation():
    for entry in translated_entries():
        source = entry["msgid_plural"] if "msgid_plural" in entry else entry["msgid"]
        target = entry.get("msgstr[0]") if "msgid_plural" in entry else entry["msgstr"]
        assert set(re.findall(r"%\(\w+\)[sd]", source)) == set(re.findall(r"%\(\w+\)[sd]", target)), source


@pytest.mark.django_db
def test_a_korean_browser_gets_korean_pages(client):
    content = client.get("/", headers={"accept-language": "ko-KR,ko;q=0.9,en;q=0.5"}).content.decode()

    assert '<html lang="ko">' in content
    assert "당신을 위해 고른 오늘의 노래" in content
    assert ">로그인</a>" in content and ">회원가입</a>" in content


@pytest.mark.django_db
def test_an_english_browser_gets_english_pages(client):
    content = client.get("/", headers={"accept-language": "en-US,en;q=0.9"}).content.decode()

    assert '<html lang="en">' in content
    assert "Songs for today, picked for you" in content


@pytest.mark.django_db
def test_the_api_page_describes_endpoints_parameters_and_answers_in_korean(client):
    content = client.get("/api/", headers={"accept-language": "ko-KR"}).content.decode()

    assert "몇 곡을 받을지 (기본 20)." in content and "추천 곡, 잘 맞는 순서대로." in content
    assert "취향에 맞는 곡: 좋아하는 곡, 분위기, 빠르기, 기분(콜드 스타트)." in content
    assert "How many songs" not in content and "The recommendations, best first." not in content


@pytest.mark.django_db
def test_any_other_browser_language_gets_english(client):
    content = client.get("/", headers={"accept-language": "fr-FR"}).content.decode()

    assert '<html lang="en">' in content


@pytest.mark.django_db
def test_the_switcher_changes_the_language_and_stays_on_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/accounts/login/"})

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    korean = client.get("/accounts/login/", headers={"accept-language": "en"}).content.decode()
    assert '<html lang="ko">' in korean and "<h1>로그인</h1>" in korean
    assert 'name="language" value="en" lang="en"' in korean  # the way back is on the Korean page too

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "<h1>Log in</h1>" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_allauths_own_form_labels_are_korean_too(client):
    client.post("/i18n/setlang/", {"language": "ko", "next": "/"})

    content = client.get("/accounts/signup/").content.decode()

    assert "비밀번호" in content
    assert "Password" not in re.sub(r"<[^>]+>", "", content)


def test_every_string_in_the_catalog_is_translated():
    """A listener on a Korean page never meets an English sentence the catalog forgot (`makemessages` adds new
    strings with an empty msgstr; a reworded one comes back fuzzy, with the old translation)."""
    missing = [
        entry["msgid"]
        for entry in po_entries(PO)
        if "fuzzy" in entry["flags"] or not (entry.get("msgstr") or entry.get("msgstr[0]"))
    ]
    assert missing == []
