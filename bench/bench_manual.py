"""Benchmark of the manual's search and suggestions over 5,000 sections (issue 13, R8.2).

Run:  .venv/bin/python bench/bench_manual.py  [--repeat N] [--rebuild] [--sqlite]

Database: ``DATABASE_URL`` when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/pd_bench_manual
(created when missing, migrated; its name must contain "bench"). ``--sqlite`` measures the embedded
database instead (a file in the temporary folder), with the same data and queries.

Data: 5,000 published sections of one product (half German, half English), numbered 1.1 to 50.100, with
version ranges. Each has three paragraphs; each paragraph is a 12-word passage of a random demo-manual
section of its language (so the demo's terms occur, in a few per cent of the sections, as in a real
manual) and 40 to 60 words drawn (seeded, Zipf-like) from 20,000 generated terms. The derived columns are
made by the manual's own code (stems, HTML). Existing data with the right count is reused; ``--rebuild``
makes it again.

Measurement, in one run, after warm-up, per request:
- search: ``selectors.search_sections`` for one to three words (German and English, inflected forms),
  ranked, with the page's 20 excerpts;
- suggestions: ``selectors.suggest_sections`` for a ticket's text (subject, description, error
  messages; 30 to 60 words), the five best with excerpts, for a product version;
- floor: a plain ``LIKE '%word%'`` scan over title and body for one word of the same queries (no
  ranking, no stemming, no excerpts), the 20 first by number.
Prints p50/p95/max in milliseconds, each p95 beside the floor's (ratio), and PASS/FAIL against a 50 ms
p95 on PostgreSQL. Not a test: the exit code is 0 whatever the figures are, 2 on errors.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pd_bench_manual"
TARGET_MS = 50.0
SECTIONS = 5_000
PRODUCT = "benchios"
SEED = 20261201

SEARCHES = [
    "Zertifikate erneuern",
    "IPsec Schlüsselerneuerung",
    "Sicherung wiederherstellen",
    "Clusterbetrieb",
    "Passwörter",
    "langsame Oberfläche",
    "certificates",
    "rekeying tunnel",
    "restore backup",
    "firewall rules",
    "update channel",
    "login fails",
]
TICKETS = [
    {
        "subject": "Branch tunnel drops every hour",
        "description": "The IPsec tunnel to the branch office goes down every hour and comes back after a minute. "
        "It started after the peer was replaced.",
        "error_messages": "charon: CHILD_SA rekeying failed; DPD timeout",
    },
    {
        "subject": "Zertifikatsfehler im Browser",
        "description": "Seit gestern meldet der Browser beim Aufruf der Administrationsoberfläche, dass das "
        "Zertifikat abgelaufen ist. Die Zwischenzertifikate wurden nicht geändert.",
        "error_messages": "NET::ERR_CERT_DATE_INVALID",
    },
    {
        "subject": "Admin page slow after update",
        "description": "After the update the administration interface takes forty seconds to load every morning "
        "while the nightly backup is running on the appliance.",
        "error_messages": "nginx: upstream timed out (110) while reading response header",
    },
    {
        "subject": "Anmeldung per LDAP scheitert",
        "description": "Die Administratoren können sich nicht mehr anmelden, die Zwei-Faktor-Anmeldung schlägt "
        "fehl und das Konto wird gesperrt.",
        "error_messages": "ldap_bind: Can't contact LDAP server",
    },
]


class BenchError(Exception):
    """Something the reader must fix; printed without a traceback."""


def database_url(sqlite: bool) -> str:
    if sqlite:
        return f"sqlite:///{Path(tempfile.gettempdir()) / 'pd_bench_manual.sqlite3'}"
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}:
        return url
    return DEFAULT_URL


def ensure_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise BenchError(f"database {name!r} would be migrated and filled: use one whose name contains 'bench'")
    try:
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), connect_timeout=5, autocommit=True) as c:
            if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}")
    except psycopg.OperationalError as error:
        raise BenchError(f"PostgreSQL is not reachable: {error}") from error


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("CONN_MAX_AGE", "3600")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()


def passages() -> dict[str, list[list[str]]]:
    """The words of each demo-manual section, per language."""
    from partnerdesk.manual import analysis, rendering
    from partnerdesk.manual.demo import DEMO_MANUAL
    from partnerdesk.manual.services import parse_front_matter

    texts: dict[str, list[list[str]]] = {"de": [], "en": []}
    for path in sorted(DEMO_MANUAL.rglob("*.md")):
        meta, body = parse_front_matter(path.read_text(encoding="utf-8"))
        texts[str(meta["language"])].append(analysis.WORD.findall(f"{meta['title']} {rendering.to_text(body)}"))
    return texts


def generated_terms(rng: random.Random, n: int = 20_000) -> list[str]:
    syllables = ["ka", "ro", "mi", "te", "lun", "sar", "vo", "nek", "pri", "dal", "ost", "quen", "fir", "bau", "gel"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def generate() -> float:
    from django.db import transaction

    from partnerdesk.manual import services
    from partnerdesk.manual.choices import SectionStatus
    from partnerdesk.manual.models import Section

    began = time.perf_counter()
    rng = random.Random(SEED)
    texts = passages()
    terms = generated_terms(rng)
    weights = [1 / (rank + 1) for rank in range(len(terms))]  # Zipf-like
    Section.objects.filter(product=PRODUCT).delete()
    rows = []
    for i in range(SECTIONS):
        language = "de" if i % 2 == 0 else "en"
        chapter, number = divmod(i // 2, 100)
        paragraphs = []
        for _ in range(3):
            words = rng.choice(texts[language])
            start = rng.randrange(max(1, len(words) - 12))
            filler = rng.choices(terms, weights=weights, k=rng.randint(40, 60))
            paragraphs.append(" ".join(words[start : start + 12] + filler) + ".")
        title = " ".join(rng.choices(terms, k=rng.randint(2, 4))).capitalize()
        first = rng.choice(["", "4.0", "4.2", "4.3"])
        section = Section(
            product=PRODUCT,
            number=f"{chapter + 1}.{number + 1}",
            title=title[:200],
            language=language,
            version_from=first,
            version_to="" if not first or rng.random() < 0.6 else "4.9",
            body="\n\n".join(paragraphs),
            status=SectionStatus.PUBLISHED,
        )
        services._derive(section)  # the manual's own stems and HTML
        rows.append(section)
    with transaction.atomic():
        Section.objects.bulk_create(rows, batch_size=500)
    return time.perf_counter() - began


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def timed(fn: Any, inputs: list[Any], repeat: int, warm_up: int = 3) -> list[float]:
    for value in inputs[:warm_up]:
        fn(value)
    samples = []
    gc.collect()
    for _ in range(repeat):
        for value in inputs:
            began = time.perf_counter()
            fn(value)
            samples.append((time.perf_counter() - began) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="rounds over the queries")
    parser.add_argument("--rebuild", action="store_true", help="make the sections again")
    parser.add_argument("--sqlite", action="store_true", help="measure the embedded SQLite database instead")
    args = parser.parse_args()

    url = database_url(args.sqlite)
    ensure_database(url)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from partnerdesk.accounts.models import User
    from partnerdesk.manual import search, selectors
    from partnerdesk.manual.models import Section

    call_command("migrate", verbosity=0, interactive=False)
    have = Section.objects.filter(product=PRODUCT).count()
    if args.rebuild or have != SECTIONS:
        print(f"generating {SECTIONS:,} sections (found {have:,}) ... {generate():.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) manual_section")  # also empties the GIN index's pending list
        print(f"PostgreSQL {connection.pg_version // 10000}, database {connection.settings_dict['NAME']}")
    else:
        print(f"SQLite, {connection.settings_dict['NAME']}")
    asker = User(role="l1_agent", organisation="partner", is_active=True)  # reads the published sections

    def do_search(q: str) -> Any:
        return selectors.search_sections(asker, q, product=PRODUCT)

    def do_suggest(ticket: dict[str, str]) -> Any:
        return selectors.suggest_sections(asker, ticket, product=PRODUCT, version="4.2.1")

    floor_words = [q.split()[0] for q in SEARCHES]

    def do_like(word: str) -> Any:
        return search.like_scan_ids(word, search.Filters(product=PRODUCT, language=""))

    found = {q: len(do_search(q)) for q in SEARCHES}
    print("matches (of 20 at most): " + ", ".join(f"{q!r} {n}" for q, n in found.items()))
    figures = {
        "search": timed(do_search, SEARCHES, args.repeat),
        "suggestions": timed(do_suggest, TICKETS, args.repeat * 3),
        "LIKE '%word%' (floor)": timed(do_like, floor_words, args.repeat),
    }
    floor = percentile(figures["LIKE '%word%' (floor)"], 95)
    print(f"\n{'request':<24} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/floor':>10}")
    for name, samples in figures.items():
        ratio = percentile(samples, 95) / floor if floor else float("nan")
        print(
            f"{name:<24} {len(samples):>5} {percentile(samples, 50):8.1f} {percentile(samples, 95):8.1f} "
            f"{max(samples):8.1f} {ratio:10.2f}"
        )
    if connection.vendor == "postgresql":
        worst = max(percentile(figures[k], 95) for k in ("search", "suggestions"))
        print(f"\n{'PASS' if worst < TARGET_MS else 'FAIL'}: p95 {worst:.1f} ms against {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
