"""Notes are Markdown, rendered safely: markdown-it-py (CommonMark) with raw HTML off, so every
``<`` a note holds is text; links only to http(s), mailto and in-page or relative targets
(markdown-it's own check refuses ``javascript:``, ``vbscript:``, ``file:`` and ``data:``), each
opened without a referrer; no images (a note fetches nothing)."""

from functools import cache

from markdown_it import MarkdownIt
from markupsafe import Markup

_SAFE_SCHEMES = ("http://", "https://", "mailto:")


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_inline", "html_block"])
    default_validate = md.validateLink

    def validate(url: str) -> bool:
        lowered = url.strip().lower()
        allowed = lowered.startswith(_SAFE_SCHEMES) or ":" not in lowered.split("/", 1)[0]
        return allowed and default_validate(url)

    md.validateLink = validate  # type: ignore[method-assign]
    def link_open(renderer, tokens, idx, options, env):  # type: ignore[no-untyped-def]
        tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


def render(text: str) -> Markup:
    """The note as HTML, safe to put in a page: markdown-it escapes text and attributes itself."""
    return Markup(_parser().render(text))
