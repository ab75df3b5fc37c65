"""The documentation follows the project: README.md is the entry point and links every page of
docs/, every relative link of README.md and docs/*.md reaches a file of the repository (and a
heading of it, where the link names one), every source path they name exists, and
docs/configuration.md names every key a config may hold."""

import re
from pathlib import Path

import pytest
from conftest import REPO

from modecollapse.config import TRAIN_KEYS, load_schema

DOCS = REPO / "docs"
PAGES = [REPO / "README.md", *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    return {github_anchor(heading) for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


def broken_links(page: Path, root: Path = REPO) -> list[str]:
    """Relative links of `page` whose file is missing or lies outside `root`, or whose #anchor names
    no heading of the page it points to (links within the page itself are not checked)."""
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve()
        if not resolved.is_relative_to(root.resolve()) or not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_relative_link_reaches_a_file_of_the_repository(page):
    assert broken_links(page) == []


def test_the_readme_links_every_page_of_docs():
    linked = {(REPO / target.partition("#")[0]).resolve() for target in LINK.findall((REPO / "README.md").read_text())}
    assert [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked] == []


def test_the_link_check_finds_a_missing_file_a_missing_heading_and_a_path_outside(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## What is reproducible, exactly\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/a.md#what-is-reproducible-exactly) [gone](docs/b.md) [no heading](docs/a.md#nothing) "
        "[outside](../x.md) [web](https://example.org) ![img](docs/a.md)"
    )
    (tmp_path.parent / "x.md").touch()
    assert broken_links(page, root=tmp_path) == ["docs/b.md", "docs/a.md#nothing", "../x.md"]


SOURCE_PATH = re.compile(r"`((?:src|workflow|tests|benchmarks|config|profiles|docs)/[^`\s{}:]*)")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_file_of_the_repository_a_page_names_exists(page):
    """A path under a source folder in backticks (`src/modecollapse/metrics.py`, `workflow/envs/*.yaml`)
    names a file or folder of the checkout, so a page follows a module that moves."""
    named = set(SOURCE_PATH.findall(page.read_text()))
    assert [path for path in sorted(named) if not list(REPO.glob(path.rstrip("/")))] == []


def config_keys(schema: dict) -> list[str]:
    """Every key a config may hold: top-level keys, `parent.child` for the keys of a nested
    object (data, evaluation, download), and the training settings of train, image_train,
    variants and sweeps."""
    keys = []
    for key, spec in schema["properties"].items():
        nested = spec.get("properties")
        keys += [f"{key}.{child}" for child in nested] if nested else [key]
    return keys + list(TRAIN_KEYS)


def test_docs_configuration_names_every_config_key():
    page = (DOCS / "configuration.md").read_text()
    keys = config_keys(load_schema())
    assert {"seeds", "data.seed", "evaluation.plateau_tolerance", "download.deadline_s", "steps", "r1_gamma"} <= set(
        keys
    )
    assert [key for key in keys if f"`{key}`" not in page] == []


SECTION_REFERENCE = re.compile(r"\b(README(?:\.md)?|docs/[\w-]+\.md),\s+\*([^*]+)\*")


def section_references(text: str) -> list[tuple[str, str]]:
    """(page, section) for each "README, *Section*" or "docs/page.md, *Section*" in `text`,
    the section name joined across a line break of a comment or docstring."""
    text = re.sub(r"\n\s*(?:#\s*)?", " ", text)
    return [(page, " ".join(section.split())) for page, section in SECTION_REFERENCE.findall(text)]


def test_the_section_check_reads_references_across_lines():
    text = "# setting (docs/reproducibility.md, *What is\n# reproducible, exactly*); see README, *Adding a variant*"
    assert section_references(text) == [
        ("docs/reproducibility.md", "What is reproducible, exactly"),
        ("README", "Adding a variant"),
    ]


def test_every_section_the_code_points_to_is_a_heading_of_its_page():
    """Code, tests and the workflow that send a reader to "docs/page.md, *Section*" (or the README's)
    name a heading that page has, so a section that moves takes its pointers with it."""
    sources = [
        path
        for folder in ("src", "workflow", "tests", "benchmarks")
        for path in (REPO / folder).rglob("*")
        if path.suffix in {".py", ".smk", ".sh", ".yaml", ".rst"} or path.name == "Snakefile"
    ]
    missing = []
    for path in [*sources, REPO / "Makefile"]:
        if path.name == "test_docs.py" or not path.is_file():
            continue
        for page, section in section_references(path.read_text(errors="replace")):
            target = REPO / ("README.md" if page.startswith("README") else page)
            if not target.exists() or github_anchor(section) not in anchors(target):
                missing.append(f"{path.relative_to(REPO)}: {page}, *{section}*")
    assert missing == []


def test_every_apptainer_command_passes_the_gpus_in():
    """Without --nv an Apptainer container sees no NVIDIA driver: `device: auto` trains on the CPU
    without a word, `device: cuda` fails. Every recipe the project gives passes it."""
    recipes = [REPO / "Dockerfile", REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    commands = [line for path in recipes for line in path.read_text().splitlines() if "apptainer exec" in line]
    assert commands, "no apptainer exec recipe found"
    assert all("--nv" in line.split("apptainer exec", 1)[1].split()[:3] for line in commands), commands
