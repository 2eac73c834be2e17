"""Search in German and English over the demo manual (R8.2). The same queries run on SQLite and on
PostgreSQL (run this file with DATABASE_URL set): both must find the same sections."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.manual import selectors

from .conftest import numbers

# query, language, product version, the sections every database must find (first the best one)
CASES = [
    ("Zertifikate erneuern", "de", "", {"5.4", "9.5", "1.3"}, None),
    ("Zertifikat", "de", "4.1", {"5.4", "9.5", "1.3", "5.3", "7.1", "7.3", "9.2"}, "5.4"),
    ("IPsec Schlüsselerneuerung", "de", "", {"7.4"}, "7.4"),
    ("ipsec schluesselerneuerung", "de", "", {"7.4"}, "7.4"),
    ("Lebensdauern", "de", "", {"7.4"}, "7.4"),
    ("Sicherungen wiederherstellen", "de", "", {"5.3"}, "5.3"),
    ("Passwoertern", "de", "", {"9.3", "5.2", "5.3", "1.2"}, "9.3"),
    ("certificates", "en", "", {"5.4", "9.5", "1.3", "5.3", "7.1", "7.3", "9.2"}, None),
    ("rekeying", "en", "", {"7.4"}, "7.4"),
    ("tunnels dropping", "en", "", {"7.4", "9.2"}, None),
    ("backups", "en", "4.2.1", {"5.3", "9.4", "1.5"}, "5.3"),
    ("update channel", "en", "4.1", set(), None),  # automatic updates are 4.3+
    ("update channel", "en", "4.3.2", {"1.5"}, "1.5"),
]


@pytest.mark.parametrize(("query", "language", "version", "expected", "first"), CASES)
def test_search_finds_the_same_sections_in_both_languages_on_every_database(
    world, manual, query, language, version, expected, first
):
    """R8.2: stems on both sides, so inflections, umlaut spellings and ß/ss find the same sections."""
    l1 = world.user(Role.L1_AGENT)
    hits = selectors.search_sections(l1, query, product="groupios", version=version, language=language)
    assert set(numbers(hits)) == expected
    if first:
        assert numbers(hits)[0] == first
    assert all(hit.section.language == language for hit in hits)


def test_inflections_and_compounds_in_german(world, manual):
    """ "Zertifikate" finds "Zertifikat" and the compound "Zertifikatsanforderung"; "Müller"/"Mueller", ß/ss."""
    l1 = world.user(Role.L1_AGENT)
    plural = selectors.search_sections(l1, "Zertifikate", language="de")
    assert "5.4" in numbers(plural)
    excerpt = next(h.excerpt for h in plural if h.section.number == "5.4")
    assert "<mark>" in excerpt
    compound = selectors.search_sections(l1, "Zertifikatsanforderung", language="de", version="4.0")
    assert numbers(compound) == ["5.4"]
    assert numbers(selectors.search_sections(l1, "Zertifikat", language="de", version="4.0")) == numbers(
        selectors.search_sections(l1, "Zertifikats", language="de", version="4.0")
    )
    assert numbers(selectors.search_sections(l1, "Schlüssel", language="de")) == numbers(
        selectors.search_sections(l1, "Schluessel", language="de")
    )
    assert numbers(selectors.search_sections(l1, "Passwörter", language="de")) == numbers(
        selectors.search_sections(l1, "Passwoertern", language="de")
    )


def test_version_range_picks_the_section_of_the_version(world, manual):
    """R8.1: 5.4 has one text for 4.0-4.1 (by hand) and one for 4.2+ (ACME)."""
    l1 = world.user(Role.L1_AGENT)
    old = selectors.search_sections(l1, "certificate", language="en", version="4.1.3")
    new = selectors.search_sections(l1, "certificate", language="en", version="4.2")
    assert [h.section.versions for h in old if h.section.number == "5.4"] == ["4.0-4.1"]
    assert [h.section.versions for h in new if h.section.number == "5.4"] == ["4.2+"]


def test_both_languages_without_a_language_filter(world, manual):
    l1 = world.user(Role.L1_AGENT)
    hits = selectors.search_sections(l1, "IPsec", product="groupios")
    assert {h.section.language for h in hits} == {"de", "en"}


def test_umlaut_spellings_and_sharp_s(world, db):
    """ "Müller" and "Mueller", "Straße" and "Strasse" find the same section (R8.2)."""
    from partnerdesk.manual import services

    services.create_section(
        acting_user=world.user(Role.L2_AGENT),
        publish=True,
        product="groupios",
        number="99.2",
        title="Anschluss in der Hauptstraße",
        language="de",
        body="Die Filiale Müller nutzt die Leitung der Hauptstraße.",
    )
    l1 = world.user(Role.L1_AGENT)
    for query in ("Müller", "Mueller", "mueller", "Hauptstrasse", "Hauptstraße", "HAUPTSTRASSE"):
        assert numbers(selectors.search_sections(l1, query, language="de")) == ["99.2"], query


def test_excerpt_is_escaped(world, db):
    from partnerdesk.manual import services

    editor = world.user(Role.L2_AGENT)
    section = services.create_section(
        acting_user=editor,
        publish=True,
        product="groupios",
        number="99.1",
        title="Raw markup",
        language="en",
        body="Firewall <script>alert(1)</script> rule",
    )
    hit = selectors.search_sections(world.user(Role.L1_AGENT), "firewall")[0]
    assert hit.section == section
    assert "<script>" not in hit.excerpt and "<script>" not in section.body_html
