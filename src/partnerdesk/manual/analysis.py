"""How the manual's text is searched: words, their stems, versions, excerpts. Pure (no Django).

Both databases index and query the same stems, made here with the Snowball stemmers (German and
English): SQLite has no German stemmer, and PostgreSQL's would not stem exactly like this one, so
stemming on the way in and on the way out in Python is what makes both find the same sections.
The German stemmer folds umlauts and their spellings ("Müller", "Mueller") and ß/ss; the other
accents are folded here. Query stems of four letters or more match as prefixes, so "Zertifikat"
also finds the compound "Zertifikatsverwaltung".
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

LANGUAGES = ("de", "en")
_STEMMER_NAMES = {"de": "german", "en": "english"}
WORD = re.compile(r"\w+", re.UNICODE)
PREFIX_FROM = 4  # query stems this long or longer match as prefixes (compounds)
MAX_QUERY_TERMS = 40

# Words too common to tell sections apart (suggestions OR the ticket's words together).
STOPWORDS = {
    "de": frozenset(
        """aber alle allem allen aller alles als also am an ander andere anderen auch auf aus bei beim bin bis
        bist da damit dann das dass dem den denn der des die dies diese diesem diesen dieser dieses doch dort du
        durch ein eine einem einen einer eines er es etwas für hab habe haben hat hatte hatten hier hin ich ihr
        im in ist ja jede jedem jeden jeder jetzt kann kein keine können man mehr mein mit muss nach nicht nichts
        noch nun nur ob oder ohne sehr sein seine sich sie sind so soll sollte über um und uns unter vom von vor
        war waren was weil welche wenn wer werden wie wieder wir wird wo zu zum zur zwischen bitte schon""".split()
    ),
    "en": frozenset(
        """a about after again all also am an and any are as at be because been before being both but by can
        could did do does doing done for from had has have having he her here his how i if in into is it its
        just me more most my no not now of off on once only or other our out over own same she should so some
        such than that the their them then there these they this those through to too under until up very was
        we were what when where which while who why will with would you your please still""".split()
    ),
}


ALL_STOPWORDS = STOPWORDS["de"] | STOPWORDS["en"]


@lru_cache(maxsize=4)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMER_NAMES[language])


def fold(word: str) -> str:
    """Lower case, ß as ss, accents and umlauts without their marks (é -> e, ü -> u)."""
    word = word.lower().replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text or "") if w.strip("_")]


@lru_cache(maxsize=50_000)
def stem(word: str, language: str) -> str:
    """One word's folded stem (cached: excerpts stem every word of the text they show)."""
    return fold(_stemmer(language).stemWord(word.lower()))


def stems(text: str, language: str) -> list[str]:
    """Every word of the text as its folded stem, in order: what is indexed."""
    stemmer = _stemmer(language)
    return [fold(s) for s in stemmer.stemWords(words(text))]


def index_text(text: str, language: str) -> str:
    """The stems of the text as one space-separated string (the indexed column)."""
    return " ".join(stems(text, language))


def query_stems(text: str, language: str) -> list[str]:
    """The distinct stems of a query, without stop words, in order of appearance."""
    seen: dict[str, None] = {}
    stop = ALL_STOPWORDS  # a ticket mixes languages: German text, English error messages
    for word in words(text):
        if word in stop or fold(word) in stop:
            continue
        term = stem(word, language)
        if term and re.fullmatch(r"[a-z0-9]+", term):
            seen.setdefault(term, None)
    return list(seen)[:MAX_QUERY_TERMS]


def guess_language(text: str) -> str:
    """ "de" or "en" when the text's common words say so clearly, else "" (both)."""
    found = words(text)
    de = sum(w in STOPWORDS["de"] for w in found)
    en = sum(w in STOPWORDS["en"] for w in found)
    if de >= 2 * en + 2:
        return "de"
    if en >= 2 * de + 2:
        return "en"
    return ""


def is_prefix(term: str) -> bool:
    return len(term) >= PREFIX_FROM and not term.isdigit()


# --- versions --------------------------------------------------------------------------------------

_VERSION = re.compile(r"^\d+(\.\d+)*$")


def is_version(value: str) -> bool:
    return bool(_VERSION.match(value.strip()))


def version_key(version: str) -> str:
    """A string that sorts like the version: "4.10.1" after "4.9". Empty for an empty version."""
    version = version.strip()
    if not version:
        return ""
    return ".".join(f"{int(part):05d}" for part in version.split("."))


def upper_key(version: str) -> str:
    """The key of an inclusive upper bound: "4.2" covers 4.2, 4.2.1, 4.2.9.3 (but not 4.3)."""
    key = version_key(version)
    return key + "~" if key else ""


def parse_versions(value: str) -> tuple[str, str]:
    """A version range as written in the manual's front matter: "4.0-4.2", "4.1+", "4.2", "" (all).

    Returns (first, last); either may be empty (open). Raises ValueError for anything else.
    """
    value = (value or "").strip().replace(" ", "").replace("–", "-")
    if value in ("", "*", "all"):
        return "", ""
    if value.endswith("+"):
        first, last = value[:-1], ""
    elif "-" in value:
        first, _sep, last = value.partition("-")
    else:
        first, last = value, value
    for part in (first, last):
        if part and not is_version(part):
            raise ValueError(value)
    if first and last and version_key(first) > version_key(last):
        raise ValueError(value)
    return first, last


def covers(first: str, last: str, version: str) -> bool:
    """Whether a section for versions first..last applies to this version (empty: any)."""
    key = version_key(version)
    if not key:
        return True
    return (not first or version_key(first) <= key) and (not last or key <= upper_key(last))


# --- excerpts --------------------------------------------------------------------------------------


def _matches(word: str, terms: Iterable[str], language: str) -> bool:
    stemmed = stem(word, language)
    return any(stemmed == t or (is_prefix(t) and stemmed.startswith(t)) for t in terms)


def highlight(text: str, terms: Iterable[str], language: str, width: int = 200) -> str:
    """An HTML excerpt of the text around the first matching word, the matching words in <mark>.

    Everything else is escaped: the result is safe to show as it is. Only words that begin like a term
    are stemmed (Snowball changes endings only, so a stem keeps its word's first letters).
    """
    terms = list(terms)
    heads = {t[:2] for t in terms}
    text = re.sub(r"\s+", " ", text or "").strip()
    spans = [
        m
        for m in WORD.finditer(text)
        if terms and fold(m.group()[:3])[:2] in heads and _matches(m.group(), terms, language)
    ]
    start = max(0, spans[0].start() - width // 4) if spans else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < spans[0].start() else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out, pos = [], start
    for match in spans:
        if match.start() < start or match.end() > end:
            continue
        out.append(html.escape(text[pos : match.start()]))
        out.append(f"<mark>{html.escape(match.group())}</mark>")
        pos = match.end()
    out.append(html.escape(text[pos:end]))
    return ("… " if start else "") + "".join(out) + (" …" if end < len(text) else "")
