"""A section's Markdown as HTML: markdown-it-py (CommonMark and tables, raw HTML off), then nh3's allow list.

Pure (no Django). Raw HTML in the source is shown as text, not interpreted; whatever markup remains
passes nh3, so a section can never carry a script, an event handler or a style into a page.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p",
    "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def to_html(markdown: str) -> str:
    html = _md.render(markdown or "")
    # markdown-it writes table alignment as a style; the strict CSP allows no inline style.
    html = re.sub(r' style="text-align:(left|right|center)"', r' align="\1"', html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def to_text(markdown: str) -> str:
    """The section's words without markup, for the index and the excerpts."""
    html = _md.render(markdown or "")
    return re.sub(r"\s+", " ", html_lib.unescape(nh3.clean(html, tags=set()))).strip()
