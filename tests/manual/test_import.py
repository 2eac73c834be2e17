"""`partnerdesk manual import DIR` (R8.1): front matter, idempotent, drafts, refusals named by file."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from partnerdesk.manual.choices import SectionStatus
from partnerdesk.manual.demo import DEMO_MANUAL
from partnerdesk.manual.models import Section


def _run(directory: Path) -> str:
    out = StringIO()
    call_command("manual", "import", str(directory), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_demo_manual_has_twenty_sections_in_both_languages(db):
    """The demo manual: at least 20 sections, German and English, installation, operation, troubleshooting."""
    assert "48 created" in _run(DEMO_MANUAL)
    for language in ("de", "en"):
        numbers = set(Section.objects.filter(language=language).values_list("number", flat=True))
        assert len(numbers) >= 20
        assert {"1.2", "5.3", "7.3", "9.2"} <= numbers
    assert Section.objects.filter(status=SectionStatus.PUBLISHED).count() == 48


def test_a_second_import_updates_and_never_doubles(db, tmp_path):
    head = '---\nnumber: "7.3"\ntitle: IPsec tunnels\nlanguage: en\nproduct: groupios\nversions: "4.0+"\n---\n'
    (tmp_path / "a.md").write_text(head + "Old text.\n")
    assert "1 created" in _run(tmp_path)
    assert "1 unchanged" in _run(tmp_path)
    (tmp_path / "a.md").write_text(head + "New **text**.\n")
    assert "1 updated" in _run(tmp_path)
    section = Section.objects.get()
    assert section.body_html == "<p>New <strong>text</strong>.</p>\n"
    assert (section.version_from, section.version_to) == ("4.0", "")


def test_draft_in_front_matter_and_refused_files(db, tmp_path):
    (tmp_path / "draft.md").write_text(
        "---\nnumber: '2.1'\ntitle: Draft\nlanguage: de\nproduct: groupios\nstatus: draft\n---\nEntwurf.\n"
    )
    (tmp_path / "bad.md").write_text("---\nnumber: '2.2'\ntitle: No language\nproduct: groupios\n---\nText.\n")
    (tmp_path / "range.md").write_text(
        "---\nnumber: '2.3'\ntitle: R\nlanguage: de\nproduct: groupios\nversions: 5-4\n---\nText.\n"
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("manual", "import", str(tmp_path), stdout=StringIO(), stderr=err)
    assert "bad.md" in err.getvalue() and "language" in err.getvalue()
    assert "range.md" in err.getvalue()
    assert Section.objects.get().status == SectionStatus.DRAFT


def test_missing_folder(db, tmp_path):
    with pytest.raises(CommandError):
        _run(tmp_path / "nothing")
