"""The README and docs/ stand on their own (issue 20): a person who clones the repository has every file they
link to, and no text sends them to a place outside it (the old `../shared/DESIGN.md`, a path of the machine
the project was written on)."""

from __future__ import annotations

import re
from pathlib import Path

from services.platform.config import PROJECT_ROOT

DOCUMENTS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target), a reference definition `[name]: target`, <img src="target">, <a href="…">
INLINE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HTML = re.compile(r"""<(?:img|a|source)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)  # https:, mailto:, //host…
OUTSIDE = ("../shared", "/work/")


def links(text: str) -> list[str]:
    return [m.group(1) for pattern in (INLINE, REFERENCE, HTML) for m in pattern.finditer(text)]


def local_target(document: Path, link: str) -> Path | None:
    """The file a relative link points at (without its #anchor or ?query); None for an external link or an
    anchor in the same document."""
    target = link.split("#", 1)[0].split("?", 1)[0]
    if not target or EXTERNAL.match(target):
        return None
    return (document.parent / target).resolve()


def test_the_documents_are_found() -> None:
    assert PROJECT_ROOT / "README.md" in DOCUMENTS and PROJECT_ROOT / "docs" / "design.md" in DOCUMENTS


def test_every_relative_link_leads_to_a_file_of_the_repository() -> None:
    broken = []
    for document in DOCUMENTS:
        for link in links(document.read_text(encoding="utf-8")):
            target = local_target(document, link)
            if target is None:
                continue
            inside = target == PROJECT_ROOT or PROJECT_ROOT in target.parents
            if link.startswith("/") or not inside or not target.exists():
                broken.append(f"{document.relative_to(PROJECT_ROOT)}: {link}")
    assert not broken, "links to nothing in the repository:\n" + "\n".join(broken)


def test_no_text_sends_the_reader_outside_the_repository() -> None:
    found = [
        f"{document.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for document in DOCUMENTS
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), start=1)
        if any(place in line for place in OUTSIDE)
    ]
    assert not found, "\n".join(found)


def test_the_link_reader_finds_what_it_must() -> None:
    """The patterns above on a hand-written sample: a test of links that finds none would pass on anything."""
    sample = (
        'See [the design](docs/design.md#privacy), ![a chart](docs/dashboard.png "title") and '
        '[Streamlit](https://docs.streamlit.io).\n[ref]: ../shared/DESIGN.md\n<img src="docs/x.png" alt="">\n'
    )
    assert links(sample) == ["docs/design.md#privacy", "docs/dashboard.png", "https://docs.streamlit.io",
                             "../shared/DESIGN.md", "docs/x.png"]  # fmt: skip
    readme = PROJECT_ROOT / "README.md"
    assert local_target(readme, "https://docs.streamlit.io") is None
    assert local_target(readme, "#tests") is None
    assert local_target(readme, "docs/design.md#privacy") == PROJECT_ROOT / "docs" / "design.md"
    assert not local_target(readme, "../shared/DESIGN.md").is_relative_to(PROJECT_ROOT)
