"""The repository documents itself: code cites only pages that exist, docs links resolve, and
every registered estimator has a page.

These checks keep a clone complete on its own: a citation of a design note that is not in the
repository, a section number that no heading carries or a renamed page fails here, not in a
reader's hands.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import augury

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "augury"
DOCS = ROOT / "docs"
MARKDOWN = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]

#: Spellings of references to files that live outside the repository (the authors' design notes,
#: the shared workspace). ``protocols.md`` is allowed only as ``docs/protocols.md``.
OUTSIDE = re.compile(r"specs/|\bspec §|\bspecs?\.md|DESIGN\.md|\.\./shared|/work/|(?<!docs/)\bprotocols\.md")
#: ``docs/<page>.md`` optionally followed by ``§N`` or a range ``§N–M``.
CITATION = re.compile(r"(docs/[\w./-]+\.md)(?:\s*§\s*(\d+(?:\.\d+)*)(?:\s*[–-]\s*(\d+(?:\.\d+)*))?)?")
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _source_files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _sections(page: Path) -> set[str]:
    return set(HEADING.findall(page.read_text(encoding="utf-8")))


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def _anchors(page: Path) -> set[str]:
    return {_slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", page.read_text(encoding="utf-8"), re.MULTILINE)}


def _expand_range(first: str, last: str) -> list[str]:
    """``4.1``–``4.5`` → the five numbers; ``2``–``6`` → 2..6 (only the last component varies)."""
    *head, lo = first.split(".")
    hi = last.split(".")[-1]
    prefix = ".".join(head) + "." if head else ""
    return [f"{prefix}{i}" for i in range(int(lo), int(hi) + 1)]


def test_no_source_file_cites_a_file_outside_the_repository() -> None:
    hits = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
            for p in _source_files()
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if OUTSIDE.search(line)]
    assert not hits, "cite docs/... or the paper instead:\n" + "\n".join(hits)


def test_docs_do_not_point_outside_the_repository() -> None:
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in MARKDOWN
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"\.\./shared|/work/|specs/", line)]
    assert not hits, hits


def test_every_cited_page_and_section_exists() -> None:
    problems = []
    cited = 0
    for path in _source_files():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for page_name, first, last in CITATION.findall(line):
                cited += 1
                page = ROOT / page_name
                where = f"{path.relative_to(ROOT)}:{i}"
                if not page.is_file():
                    problems.append(f"{where}: {page_name} does not exist")
                    continue
                wanted = [first] if first and not last else _expand_range(first, last) if first else []
                missing = [n for n in wanted if n not in _sections(page)]
                if missing:
                    problems.append(f"{where}: {page_name} has no section {', '.join(missing)}")
    assert cited > 20, "the citation pattern no longer matches how the code cites its docs"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


def test_every_registered_estimator_is_documented() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    names = [e.name for e in augury.list_detectors()] + [e.name for e in augury.list_predictors()]
    assert len(names) > 10
    missing = [n for n in names if f"`{n}" not in text]
    assert not missing, f"add these to docs/index.md and a method page: {missing}"


def test_every_method_package_has_a_page_it_cites() -> None:
    """Each detector method package names its page, and the page exists."""
    packages = [p for p in (SRC / "detectors").iterdir() if (p / "__init__.py").is_file()]
    assert packages
    uncited = [p.name for p in packages
               if not any("docs/methods/" in f.read_text(encoding="utf-8") for f in p.rglob("*.py"))]
    assert not uncited, f"these method packages cite no docs/methods page: {uncited}"


def test_readme_points_to_the_docs() -> None:
    assert "docs/index.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_heading_numbers_are_read_as_written() -> None:
    page = "# t\n## 4. Metrics\n### 4.3 Percentile threshold\n#### 10.2. x\n## Not numbered\n"
    assert set(HEADING.findall(page)) == {"4", "4.3", "10.2"}
    assert _expand_range("4.1", "4.5") == ["4.1", "4.2", "4.3", "4.4", "4.5"]
    assert _expand_range("2", "6") == ["2", "3", "4", "5", "6"]
    assert _slug("## 2. Datasets".lstrip("# ")) == "2-datasets"
    assert CITATION.findall("see docs/methods/vanad.md §4.3–4.4 and docs/protocols.md") == [
        ("docs/methods/vanad.md", "4.3", "4.4"), ("docs/protocols.md", "", "")]


#: Modules whose class docstrings carry a ``>>>`` example; each must run as written.
EXAMPLES = ["augury.detectors.amad.detector", "augury.detectors.mtsjepa.detector", "augury.detectors.vanad.detector",
            "augury.predictors.mtsjepa.predictor"]


def test_every_docstring_example_is_listed_here() -> None:
    with_examples = sorted(".".join(p.relative_to(SRC.parent).with_suffix("").parts)
                           for p in _source_files() if ">>> " in p.read_text(encoding="utf-8"))
    assert with_examples == sorted(EXAMPLES)


@pytest.mark.parametrize("module", EXAMPLES)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
