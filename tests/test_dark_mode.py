"""Dark mode (static/css/site.css): the design system's colours are variables, and the dark
scheme (`prefers-color-scheme: dark`) gives every one of them a dark value; the site's pages
use no colour of their own, so nothing stays light on a dark page. (Contrast itself is
checked by axe in both schemes: tests/test_accessibility_browser.py.)"""

import re
from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "static" / "css"
# The site's pages; admin.css and the admin rules of qa.css and newsletter.css style the
# Django admin, which has its own dark scheme and its own variables.
PAGE_CSS = ["site.css", "forum.css", "lessons.css", "zoomgroups.css"]
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|(?<![-\w])(?:white|black)(?![-\w])")
# Video frames are black in both schemes, like every player.
ALLOWED = {"background: #000"}


def blocks(css: str, selector: str) -> list[str]:
    return re.findall(re.escape(selector) + r"\s*\{([^}]*)\}", css)


def variables(block: str) -> set[str]:
    return set(re.findall(r"(--[\w-]+)\s*:", block))


def test_the_dark_scheme_gives_every_colour_variable_a_value():
    css = (CSS / "site.css").read_text()
    light, dark_media = css.split("@media (prefers-color-scheme: dark)", 1)
    light_vars = {
        name
        for block in blocks(light, ":root")
        for name, value in re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", block)
        if COLOUR.search(value)
    }
    dark_vars = variables(blocks(dark_media, ":root")[0])

    assert light_vars, "no colour variables found"
    assert light_vars <= dark_vars, light_vars - dark_vars


def without_print(css: str) -> str:
    """`css` without its `@media print` blocks: paper is black on white in either scheme."""
    while (start := css.find("@media print")) >= 0:
        depth, end = 0, css.index("{", start)
        while True:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            if depth == 0 or end == len(css) - 1:
                break
            end += 1
        css = css[:start] + css[end + 1 :]
    return css


def test_the_pages_css_uses_no_literal_colour_outside_the_variables():
    found = []
    for name in PAGE_CSS:
        css = re.sub(r"/\*.*?\*/", "", (CSS / name).read_text(), flags=re.DOTALL)
        css = without_print(css)
        for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
            if selector.strip() == ":root":
                continue
            for declaration in body.split(";"):
                declaration = re.sub(r"var\([^)]*\)", "", declaration).strip()
                if COLOUR.search(declaration) and declaration not in ALLOWED:
                    found.append(f"{name}: {selector.strip()} {{ {declaration} }}")
    assert not found, "\n".join(found)
