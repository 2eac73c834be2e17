"""The manual's full-text search in the database (R8.2): PostgreSQL's tsvector with a GIN index, SQLite's FTS5.

Both are fed the same Python stems (partnerdesk.manual.analysis): the index columns hold stems, and a
query is turned into stems before it reaches either database, so both find the same sections. Ranking
is the database's own (ts_rank with the title weighted A over the body's D; bm25 with the title ten
times the body); the order can differ between the two only among near-equal scores.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Max

from . import analysis
from .choices import SectionStatus
from .models import Section

ALL, ANY = "all", "any"
SUGGESTION_TERMS = 6  # a suggestion ranks by the ticket's most telling words: the ones fewest sections have

SQLITE_SCHEMA = [
    "CREATE VIRTUAL TABLE manual_section_fts USING fts5("
    "search_title, search_body, content='manual_section', content_rowid='id')",
    "CREATE TRIGGER manual_section_fts_insert AFTER INSERT ON manual_section BEGIN "
    "INSERT INTO manual_section_fts(rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
    "CREATE TRIGGER manual_section_fts_delete AFTER DELETE ON manual_section BEGIN "
    "INSERT INTO manual_section_fts(manual_section_fts, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); END",
    "CREATE TRIGGER manual_section_fts_update AFTER UPDATE ON manual_section BEGIN "
    "INSERT INTO manual_section_fts(manual_section_fts, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); "
    "INSERT INTO manual_section_fts(rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
    "INSERT INTO manual_section_fts(manual_section_fts) VALUES ('rebuild')",
]
SQLITE_SCHEMA_DROP = [
    "DROP TRIGGER IF EXISTS manual_section_fts_insert",
    "DROP TRIGGER IF EXISTS manual_section_fts_delete",
    "DROP TRIGGER IF EXISTS manual_section_fts_update",
    "DROP TABLE IF EXISTS manual_section_fts",
]
POSTGRES_SCHEMA = [
    "ALTER TABLE manual_section ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, search_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, search_body), 'D')) STORED",
    "CREATE INDEX manual_section_search ON manual_section USING gin (search_vector)",
]
POSTGRES_SCHEMA_DROP = [
    "DROP INDEX IF EXISTS manual_section_search",
    "ALTER TABLE manual_section DROP COLUMN IF EXISTS search_vector",
]


def create_index(schema_editor, apps=None) -> None:  # type: ignore[no-untyped-def]
    statements = POSTGRES_SCHEMA if schema_editor.connection.vendor == "postgresql" else SQLITE_SCHEMA
    for sql in statements:
        schema_editor.execute(sql)


def drop_index(schema_editor, apps=None) -> None:  # type: ignore[no-untyped-def]
    statements = POSTGRES_SCHEMA_DROP if schema_editor.connection.vendor == "postgresql" else SQLITE_SCHEMA_DROP
    for sql in statements:
        schema_editor.execute(sql)


@dataclass(frozen=True)
class Filters:
    product: str = ""
    version: str = ""
    language: str = ""
    published_only: bool = True


def _prefix(term: str, mode: str) -> bool:
    """A search's words also match as prefixes (compounds); a suggestion's many words only as they are,
    or a ticket's common words ("back", "time") would match half the manual through "backup", "timeout"."""
    return mode == ALL and analysis.is_prefix(term)


def _fts5_query(terms: Sequence[str], mode: str) -> str:
    parts = [f'"{t}"*' if _prefix(t, mode) else f'"{t}"' for t in terms]
    return (" AND " if mode == ALL else " OR ").join(parts)


def _tsquery(terms: Sequence[str], mode: str) -> str:
    parts = [f"{t}:*" if _prefix(t, mode) else t for t in terms]
    return (" & " if mode == ALL else " | ").join(parts)


def _conditions(filters: Filters, language: str) -> tuple[list[str], list[object]]:
    where, params = ["s.language = %s"], [language]
    if filters.published_only:
        where.append("s.status = %s")
        params.append(SectionStatus.PUBLISHED)
    if filters.product:
        where.append("s.product = %s")
        params.append(filters.product)
    key = analysis.version_key(filters.version) if analysis.is_version(filters.version or "") else ""
    if key:
        where.append("s.version_from_key <= %s AND (s.version_to_key = '' OR %s <= s.version_to_key)")
        params.extend([key, key])
    return where, params


_frequencies: dict[str, Any] = {"key": None, "df": {}}
_frequencies_lock = threading.Lock()


def document_frequencies() -> dict[str, Counter[str]]:
    """In how many published sections each stem occurs, per language.

    Counted in Python from the stored stems, the same on both databases, and kept per process until a
    section is added or changed.
    """
    # Two index-only lookups tell whether anything was added or changed since (a removal is not seen until
    # the next change: the counts are then slightly high for that section's terms, which only orders terms).
    key = tuple(Section.objects.aggregate(last=Max("id"), at=Max("updated_at")).values())
    published = Section.objects.filter(status=SectionStatus.PUBLISHED)
    with _frequencies_lock:
        if _frequencies["key"] != key:
            df: dict[str, Counter[str]] = {language: Counter() for language in analysis.LANGUAGES}
            rows = published.values_list("language", "search_title", "search_body")
            for language, title, body in rows.iterator(chunk_size=1000):
                df.setdefault(language, Counter()).update(set(f"{title} {body}".split()))
            _frequencies.update(key=key, df=df)
        return _frequencies["df"]


def telling_terms(terms: Sequence[str], language: str, limit: int = SUGGESTION_TERMS) -> list[str]:
    """The terms fewest sections share (and some do): what tells sections apart, as IDF would."""
    df = document_frequencies().get(language, Counter())
    known = [t for t in terms if df[t] > 0]
    return sorted(known, key=lambda t: (df[t], known.index(t)))[:limit]


def ranked_ids(text: str, filters: Filters, *, mode: str = ALL, limit: int = 20) -> list[tuple[int, float]]:
    """(section id, score) of the best matches, best first, over the languages asked (both by default).

    Each language's sections are matched with that language's stems of the text.
    """
    languages = [filters.language] if filters.language in analysis.LANGUAGES else list(analysis.LANGUAGES)
    found: list[tuple[int, float]] = []
    with connection.cursor() as cursor:
        for language in languages:
            terms = analysis.query_stems(text, language)
            if mode == ANY:
                terms = telling_terms(terms, language)
            if not terms:
                continue
            where, params = _conditions(filters, language)
            if connection.vendor == "postgresql":
                sql = (
                    "SELECT s.id, ts_rank(s.search_vector, q) AS score "
                    "FROM manual_section s, to_tsquery('simple'::regconfig, %s) q "
                    f"WHERE s.search_vector @@ q AND {' AND '.join(where)} "
                    "ORDER BY score DESC, s.sort_key, s.id LIMIT %s"
                )
                cursor.execute(sql, [_tsquery(terms, mode), *params, limit])
            else:
                sql = (
                    "SELECT s.id, -bm25(manual_section_fts, 10.0, 1.0) AS score "
                    "FROM manual_section_fts JOIN manual_section s ON s.id = manual_section_fts.rowid "
                    f"WHERE manual_section_fts MATCH %s AND {' AND '.join(where)} "
                    "ORDER BY score DESC, s.sort_key, s.id LIMIT %s"
                )
                cursor.execute(sql, [_fts5_query(terms, mode), *params, limit])
            found.extend((int(row[0]), float(row[1])) for row in cursor.fetchall())
    found.sort(key=lambda hit: -hit[1])
    return found[:limit]


def like_scan_ids(word: str, filters: Filters, limit: int = 20) -> list[int]:
    """The floor the benchmark compares with: a plain LIKE '%word%' over title and body."""
    language = filters.language or "de"
    where, params = _conditions(filters, language)
    pattern = f"%{word}%"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id FROM manual_section s WHERE (s.title LIKE %s OR s.body LIKE %s) AND "
            f"{' AND '.join(where)} ORDER BY s.sort_key, s.id LIMIT %s",
            [pattern, pattern, *params, limit],
        )
        return [int(row[0]) for row in cursor.fetchall()]
