"""Check the internal links of the built documentation: every page and anchor they name exists.

Usage::

    python docs/_ext/check_links.py docs/_build/html

Sphinx reports a broken cross-reference (``{doc}``, ``{ref}``) as a warning, but not a plain
Markdown link whose target moved, a link into a page's section that was renamed, or a link
to a downloaded file. This reads every built ``.html`` file, and for each ``href`` and ``src``
that stays inside the site checks that the file exists and, for ``page.html#section``, that
the page has an element with that ``id``. Links out of the site (``https:``, ``mailto:``)
are not followed: the check needs no network. Exit status 1 and one line per broken link
when any is found.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Sphinx's own machinery pages, which link to generated assets by script.
SKIPPED_PAGES = {"genindex.html", "search.html", "py-modindex.html"}


class _PageParser(HTMLParser):
    """The ids a page defines and the links it makes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif (name == "href" and tag in ("a", "link")) or (name == "src" and tag in (
                    "img", "script")):
                self.links.append(value)


def _parse(page: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser


def _internal(link: str) -> bool:
    parts = urlsplit(link)
    return not parts.scheme and not parts.netloc and not link.startswith("//")


def broken_links(site: Path) -> list[str]:
    """``page: link (why)`` for every internal link of ``site`` that leads nowhere."""
    pages = {page.resolve(): _parse(page) for page in sorted(site.rglob("*.html"))}
    problems = []
    for page, parsed in pages.items():
        if page.name in SKIPPED_PAGES:
            continue
        for link in parsed.links:
            if not _internal(link):
                continue
            parts = urlsplit(link)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site.resolve())}: {link}"
            if not target.exists():
                problems.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{where} (no #{parts.fragment} on that page)")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: python docs/_ext/check_links.py BUILT_HTML_DIR", file=sys.stderr)
        return 2
    site = Path(argv[0])
    if not (site / "index.html").is_file():
        print(f"{site} is not a built site (no index.html)", file=sys.stderr)
        return 2
    problems = broken_links(site)
    for problem in problems:
        print(problem)
    count = sum(1 for _ in site.rglob("*.html"))
    print(f"{count} pages, {len(problems)} broken internal links", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
