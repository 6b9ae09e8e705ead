import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "locale").glob("*/LC_MESSAGES/django.po"))


def test_home_page_speaks_chinese(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert '<html lang="zh-hans">' in response.text
    assert "公共采购：密封投标，公开透明" in response.text


def test_language_switcher_remembers_the_choice(client, db):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    assert "最新发布的招标项目" in client.get("/").text
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Recently published tenders" in client.get("/").text


def test_chinese_catalogue_is_fully_translated():
    catalogue = polib.pofile(ROOT / "locale/zh_Hans/LC_MESSAGES/django.po")
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parts[-3])
def test_compiled_catalogues_match_their_sources(po_path, tmp_path):
    source = polib.pofile(po_path)
    with open(po_path.with_suffix(".mo"), "rb") as compiled:
        shipped = gettext.GNUTranslations(compiled)
    for entry in source.translated_entries():
        if entry.msgid_plural:
            assert shipped.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0], entry.msgid
        elif entry.msgctxt:
            assert shipped.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr, entry.msgid
        else:
            assert shipped.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_catalogues_hold_every_string_of_the_code(tmp_path):
    """Extraction needs GNU gettext (CI installs it); a fresh laptop may not have it."""
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext is not installed (apt-get install gettext)")
    copy = tmp_path / "tree"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "node_modules", ".*_cache"))
    command = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--ignore=bench", "--ignore=tests", "--no-obsolete"]
    subprocess.run(
        command, cwd=copy, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin", "TENDERHALL_DATA_DIR": str(tmp_path / "var")}
    )
    extracted = {e.msgid for e in polib.pofile(copy / "locale/zh_Hans/LC_MESSAGES/django.po")}
    shipped = {e.msgid for e in polib.pofile(ROOT / "locale/zh_Hans/LC_MESSAGES/django.po") if not e.obsolete}
    assert sorted(extracted - shipped) == [], "run `make messages` and translate the new strings"
