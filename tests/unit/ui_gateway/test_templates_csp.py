"""The pages work under a Content-Security-Policy without inline scripts, and every form that
changes something carries a CSRF token: checked on the templates' source."""

import re
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[3] / "services" / "ui_gateway"
TEMPLATES = sorted((UI / "templates").glob("*.html"))
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL | re.IGNORECASE)


def source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_template_has_an_inline_script_or_event_handler(path):
    text = source(path)
    for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script {tag} in {path.name}"
    handlers = re.findall(r"<[^>]*\son[a-z]+\s*=", text, re.IGNORECASE)
    assert not handlers, f"inline event handler in {path.name}: {handlers}"
    assert "javascript:" not in text.lower(), f"javascript: URL in {path.name}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_form_that_posts_starts_with_its_csrf_field(path):
    for attributes, body in FORM.findall(source(path)):
        posts = re.search(r'method="post"', attributes, re.IGNORECASE)
        if posts:
            assert body.lstrip().startswith("{{ csrf_field() }}"), f"{path.name}: <form{attributes}> lacks csrf_field()"
        elif re.search(r'formmethod="post"', body, re.IGNORECASE):
            assert "{{ csrf_field() }}" in body, f"{path.name}: <form{attributes}> posts without csrf_field()"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_script_and_stylesheet_a_template_loads_is_served(path):
    for url in re.findall(r'(?:src|href)="(/static/[^"?#]+)"', source(path)):
        assert (UI / url.removeprefix("/")).is_file(), f"{path.name} loads {url}, which is missing"


def test_a_confirmation_is_asked_by_the_shared_script():
    forms = source(UI / "static" / "forms.js")
    assert "dataset.confirm" in forms and "preventDefault" in forms
    asking = [p.name for p in TEMPLATES if "data-confirm=" in source(p)]
    assert {"runs.html", "scenario.html"} <= set(asking)
    assert '<script src="/static/forms.js"></script>' in source(UI / "templates" / "base.html")
