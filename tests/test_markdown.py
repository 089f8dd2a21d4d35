"""Customer text shown as Markdown stays plain text: no images, links, maths or HTML."""

import re

import pytest
from markdown_it import MarkdownIt

from segmentation.markdown import escape

RENDER = MarkdownIt("commonmark").enable("table")
# GitHub-style bare-URL autolinks, as Streamlit's renderer (remark-gfm) makes them.
AUTOLINK = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "linkify"])


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("![x](https://evil.example/p.png)", "<img"),
        ("[click](https://evil.example)", "<a "),
        ("<script>alert(1)</script>", "<script"),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("**bold** _it_ `code`", "<strong>"),
        ("# Heading", "<h1>"),
        ("- item", "<li>"),
        ("1. item", "<ol>"),
        ("a | b", "<table"),
    ],
)
def test_escaped_text_renders_as_itself(text, forbidden):
    rendered = RENDER.render(escape(text))
    assert forbidden not in rendered
    assert _plain(rendered) == text


@pytest.mark.parametrize(
    "text",
    [
        "http://localhost:9/phish",
        "https://evil.example/login?next=/",
        "www.evil.com/a",
        "WWW.Evil.Com",
        "Contact ceo@evil.com now",
        "mailto:ceo@evil.com",
        "Acme Inc (see http://acme.example)",
    ],
)
def test_bare_urls_and_emails_are_never_links(text):
    assert "<a " in AUTOLINK.render(text)  # the renderer does link them when left as they are
    rendered = AUTOLINK.render(escape(text))
    assert "<a " not in rendered
    assert _plain(rendered) == text


@pytest.mark.parametrize("text", ["$1.2M and $3M", "Detergents_Paper & Grocery", "Acme (UK) Ltd."])
def test_money_and_names_read_the_same(text):
    assert _plain(RENDER.render(escape(text))) == text


def _plain(html_text: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", html_text)).strip()
