"""Statements are Markdown, rendered to HTML that is safe to put in a page.

markdown-it-py parses (CommonMark, tables, strikethrough; raw HTML in the source is
escaped, not passed through) and nh3 (the Ammonia sanitiser) keeps only harmless tags
and attributes, and links with http(s) or mailto schemes: the statement is written by a
teacher but shown to every student, so it is treated as untrusted.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])

_TAGS = {
    "a", "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}, "code": {"class"},
               "th": {"style"}, "td": {"style"}}  # fmt: skip


def render(source: str) -> str:
    return nh3.clean(
        _md.render(source),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
