"""HTML to clean text: drop scripts, quoted replies and "Balas"/"Reply" links, keep the words."""

from __future__ import annotations

import html
import re
import unicodedata

from bs4 import BeautifulSoup, Comment

_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "blockquote", "button", "form")
_QUOTE_CLASS = re.compile(r"(^|[-_ ])(quote|quoted|reply-quote|bbcode_quote)([-_ ]|$)", re.I)
_ACTION_WORDS = frozenset(
    {
        "balas",
        "reply",
        "suka",
        "like",
        "tanggapi",
        "hapus",
        "delete",
        "laporkan",
        "report",
        "balasan",
        "replies",
        "sembunyikan",
    }
)
_BLOCKS = ("p", "div", "li", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(fragment: str) -> str:
    """The readable text of an HTML fragment; plain text comes back unescaped and trimmed."""
    if "<" not in fragment and "&" not in fragment:
        return _tidy(fragment)
    soup = BeautifulSoup(fragment, "html.parser")
    for node in soup.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(class_=_QUOTE_CLASS):
        tag.decompose()
    for tag in soup.find_all("a"):
        if tag.get_text(" ", strip=True).casefold() in _ACTION_WORDS:
            tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        if tag.name == "br":
            tag.replace_with("\n")
        else:
            tag.insert_before("\n")
            tag.insert_after("\n")
    return _tidy(soup.get_text())


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", html.unescape(text)).replace("\r\n", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
