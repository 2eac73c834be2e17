"""The German catalog is complete, so no English string slips into the German interface (R12.1)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

import partnerdesk

CATALOG = Path(settings.LOCALE_PATHS[0]) / "de" / "LC_MESSAGES" / "django.po"
UPDATE = "cd src/partnerdesk && partnerdesk makemessages -l de -l en --ignore 'migrations/*' --no-obsolete"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")


def _entries() -> list[polib.POEntry]:
    return [entry for entry in polib.pofile(str(CATALOG)) if not entry.obsolete]


def test_r12_1_german_catalog_exists_and_is_not_empty():
    assert CATALOG.exists(), f"run: {UPDATE}"
    assert len(_entries()) > 100


def test_r12_1_every_msgid_has_a_german_translation():
    untranslated = [
        entry.msgid
        for entry in _entries()
        if "fuzzy" in entry.flags
        or (entry.msgid_plural and not all(entry.msgstr_plural.values()))
        or (not entry.msgid_plural and not entry.msgstr.strip())
    ]
    assert untranslated == [], f"translate these in {CATALOG}: {untranslated}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_r12_1_catalog_holds_every_string_of_the_source(tmp_path, monkeypatch):
    """A string added to the code but never extracted would show in English; extract into a copy."""
    copy = tmp_path / "partnerdesk"
    shutil.copytree(Path(partnerdesk.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["de"], ignore_patterns=["migrations/*"], no_obsolete=True, verbosity=0)
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale/de/LC_MESSAGES/django.po"))}
    catalog = {(e.msgctxt, e.msgid) for e in _entries()}
    missing = sorted(msgid for _, msgid in extracted - catalog)
    assert missing == [], f"not in the catalog yet; run `{UPDATE}` and translate: {missing}"


def test_r12_1_translations_keep_the_placeholders():
    broken = [
        entry.msgid
        for entry in _entries()
        if entry.msgstr and sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr))
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("english", "german"),
    [("Log out", "Abmelden"), ("Overview", "Übersicht"), ("End customers", "Endkunden")],
)
def test_r12_1_compiled_catalog_is_used(english, german):
    with translation.override("de"):
        assert translation.gettext(english) == german
    with translation.override("en"):
        assert translation.gettext(english) == english
