"""Every write to the manual (R8.1): sections written on the pages or imported from Markdown files,
drafts and publishing. Only the vendor's editors (L2, L3, administrators) write; an import from the
command line acts as nobody.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.accounts.services import ensure_role

from . import analysis, locks, rendering
from .choices import EDITOR_ROLES, SectionLanguage, SectionStatus
from .models import Section

EDITABLE = ("product", "number", "title", "language", "version_from", "version_to", "body")
_NUMBER = re.compile(r"^\d+(\.\d+)*$")


def ensure_editor(user: User) -> None:
    ensure_role(user, *EDITOR_ROLES)


def _derive(section: Section) -> None:
    """The derived columns: HTML, sort keys, the stems the search indexes."""
    section.product = section.product.strip()
    section.number = section.number.strip()
    section.title = section.title.strip()
    section.version_from = section.version_from.strip()
    section.version_to = section.version_to.strip()
    problems: dict[str, str] = {}
    if not _NUMBER.match(section.number):
        problems["number"] = _("Write the section number as digits and dots, for example 7.3.")
    for name in ("version_from", "version_to"):
        value = getattr(section, name)
        if value and not analysis.is_version(value):
            problems[name] = _("Write a version as digits and dots, for example 4.2.")
    if not problems and section.version_from and section.version_to:
        if analysis.version_key(section.version_from) > analysis.version_key(section.version_to):
            problems["version_to"] = _("The last version comes before the first.")
    if problems:
        raise ValidationError(problems)
    section.body_html = rendering.to_html(section.body)
    section.body_text = rendering.to_text(section.body)
    section.sort_key = analysis.version_key(section.number)
    section.version_from_key = analysis.version_key(section.version_from)
    section.version_to_key = analysis.upper_key(section.version_to)
    section.search_title = analysis.index_text(f"{section.number} {section.title}", section.language)
    section.search_body = analysis.index_text(section.body_text, section.language)


def _save(section: Section, actor: User | None) -> Section:
    _derive(section)
    section.updated_by = actor
    section.full_clean(exclude=["updated_by"])
    section.save()
    return section


def _apply(section: Section, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(section, name, value if value is not None else "")


@transaction.atomic
def create_section(*, acting_user: User, publish: bool = False, **fields: Any) -> Section:
    """A new section, a draft unless published at once."""
    ensure_editor(acting_user)
    section = Section()
    _apply(section, fields)
    if publish:
        section.status, section.published_at = SectionStatus.PUBLISHED, timezone.now()
    return _save(section, acting_user)


@transaction.atomic
def update_section(*, acting_user: User, section: Section, changes: Mapping[str, Any]) -> Section:
    ensure_editor(acting_user)
    section = locks.lock_section(section.pk)
    _apply(section, changes)
    return _save(section, acting_user)


@transaction.atomic
def set_published(*, acting_user: User, section: Section, published: bool) -> Section:
    """Publish a draft (partners read it from now on) or take a section back to draft."""
    ensure_editor(acting_user)
    section = locks.lock_section(section.pk)
    section.status = SectionStatus.PUBLISHED if published else SectionStatus.DRAFT
    section.published_at = (section.published_at or timezone.now()) if published else None
    section.updated_by = acting_user
    section.save(update_fields=["status", "published_at", "updated_by", "updated_at"])
    return section


# --- import ------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "file: problem"


def parse_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML between the leading `---` lines, and the Markdown after it."""
    if not text.startswith("---"):
        raise ValueError(_("The file does not begin with front matter (---)."))
    parts = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.MULTILINE)
    if len(parts) < 3:
        raise ValueError(_("The front matter is not closed with ---."))
    meta = yaml.safe_load(parts[1]) or {}
    if not isinstance(meta, dict):
        raise ValueError(_("The front matter is not a mapping."))
    return meta, parts[2].lstrip("\n")


def _fields_of(meta: Mapping[str, Any], body: str) -> dict[str, Any]:
    missing = [k for k in ("number", "title", "language", "product") if not str(meta.get(k) or "").strip()]
    if missing:
        raise ValueError(_("Missing in the front matter: %(names)s.") % {"names": ", ".join(missing)})
    language = str(meta["language"]).strip().lower()
    if language not in SectionLanguage.values:
        raise ValueError(_("language: choose de or en."))
    try:
        first, last = analysis.parse_versions(str(meta.get("versions") or ""))
    except ValueError as error:
        raise ValueError(_("versions: write a range such as 4.0-4.2, 4.1+ or 4.2.")) from error
    status = str(meta.get("status") or SectionStatus.PUBLISHED).strip().lower()
    if status not in SectionStatus.values:
        raise ValueError(_("status: choose draft or published."))
    return {
        "product": str(meta["product"]).strip(),
        "number": str(meta["number"]).strip(),
        "title": str(meta["title"]).strip(),
        "language": language,
        "version_from": first,
        "version_to": last,
        "body": body.rstrip() + "\n",
        "status": status,
    }


def import_file(path: Path, result: ImportResult) -> None:
    """One Markdown file: a section found by product, language, number and versions is updated, else made."""
    name = path.name
    try:
        meta, body = parse_front_matter(path.read_text(encoding="utf-8"))
        data = _fields_of(meta, body)
    except (ValueError, UnicodeDecodeError, yaml.YAMLError) as error:
        result.errors.append(f"{name}: {error}")
        return
    status = data.pop("status")
    key = {k: data[k] for k in ("product", "language", "number", "version_from", "version_to")}
    with transaction.atomic():
        section = locks.lock_section_by_key(**key)
        created = section is None
        section = section or Section(**key)
        before = (section.title, section.body, section.status)
        _apply(section, data)
        section.status = status
        if status == SectionStatus.PUBLISHED:
            section.published_at = section.published_at or timezone.now()
        else:
            section.published_at = None
        if not created and before == (section.title, section.body, section.status):
            result.unchanged.append(name)
            return
        try:
            _save(section, None)
        except ValidationError as error:
            result.errors.append(f"{name}: {'; '.join(error.messages)}")
            transaction.set_rollback(True)
            return
    (result.created if created else result.updated).append(name)


def import_directory(directory: Path) -> ImportResult:
    """`partnerdesk manual import DIR`: every *.md below the folder, in name order; rerunnable."""
    if not directory.is_dir():
        raise ValidationError({"directory": _("No such folder: %(path)s") % {"path": directory}})
    result = ImportResult()
    for path in sorted(directory.rglob("*.md")):
        import_file(path, result)
    return result
