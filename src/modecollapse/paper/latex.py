"""LaTeX text: escaping, number formatting, generated macros, and compiling the report with latexmk."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..io import atomic_path

# TeX's special characters as text; with them every ^ goes, so no ^^ pair (TeX's notation for a
# character by its code: ^^5c is a backslash) reaches TeX
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "§": r"\S{}",
}
# The Greek and math symbols of our descriptions, typeset as math
_UNICODE_MATH = {
    "σ": r"\sigma",
    "λ": r"\lambda",
    "β": r"\beta",
    "γ": r"\gamma",
    "α": r"\alpha",
    "‖": r"\|",
    "∇": r"\nabla",
    "½": r"\tfrac12",
    "¼": r"\tfrac14",
    "²": r"^2",
    "₁": r"_1",
    "₂": r"_2",
    "ε": r"\varepsilon",
    "≥": r"\geq",
    "≤": r"\leq",
    "×": r"\times",
    "−": "-",
}
_LATEX_TEXT = _LATEX_SPECIAL | {char: rf"\ensuremath{{{command}}}" for char, command in _UNICODE_MATH.items()}
# Characters beyond Latin-1 that the report's fonts (T1 Latin Modern) have
_TEXT_PUNCTUATION = frozenset("–—‘’‚“”„†‡•…‰‹›€")


def _escape_char(char: str) -> str:
    """One character as LaTeX text: the escape of a special character or math symbol; a space for
    a line break or tab (a line break could end a paragraph, or TeX's input line, mid-command);
    the character itself where the report's fonts have it; else its code point ("U+2192"), since
    a control character is invalid in TeX's input and a missing glyph stops the build."""
    if char in _LATEX_TEXT:
        return _LATEX_TEXT[char]
    if char.isspace():
        return " "
    if " " <= char <= "~" or "\xa1" <= char <= "\xff" or char in _TEXT_PUNCTUATION:
        return char
    return f"U+{ord(char):04X}"


def latex_escape(text: str) -> str:
    """Any text (a config's, a file's) as LaTeX that typesets it literally and runs no TeX code:
    one pass over its characters (`_escape_char`), so that an escape is never escaped again. Every
    string that reaches the report from outside the code goes through here."""
    return "".join(_escape_char(char) for char in str(text))


def number(value: float, digits: int) -> str:
    """`value` with `digits` decimals; -- where it is not finite."""
    return "--" if not np.isfinite(value) else f"{value:.{digits}f}"


def p_value(value: float) -> str:
    """A p-value to 3 significant digits; -- where there is none (NaN)."""
    return "--" if not math.isfinite(value) else f"{value:.3g}"


def thousands(value: int) -> str:
    """An integer with TeX's thin-spaced thousands separator: 12{,}000."""
    return f"{value:,}".replace(",", "{,}")


def percent(share: float) -> str:
    """A share as a percentage: 0.25 -> 25\\%."""
    return rf"{100 * share:g}\%"


def stacked(lines: Sequence[str]) -> str:
    """Lines stacked in one table cell, top-aligned, without padding ({} after each line break,
    so that a line starting with "[" is not read as the break's optional space)."""
    return r"\begin{tabular}[t]{@{}l@{}}" + r"\\{}".join(lines) + r"\end{tabular}"


def fit_to_width(body: str) -> str:
    """`body` (a tabular) at its own size, scaled down to the line width only if it is wider: a
    table that fits keeps the font size it was set in."""
    return rf"\sbox0{{{body}}}\ifdim\wd0>\linewidth\resizebox{{\linewidth}}{{!}}{{\usebox0}}\else\usebox0\fi" + "\n"


def config_key_comment(name: str, key: str) -> str:
    """The comment above the definition of generated macro `name` whose text comes from config
    key `key`: a failed build reads it (`_DEFINITION`) to name the key."""
    return rf"% \{name}: config key '{key}'"


def macro(name: str, value: Any, *, key: str | None = None) -> str:
    """\\newcommand of macro `name`, after a comment naming the config `key` its text comes from
    (`config_key_comment`), so that a failed build can name it."""
    definition = rf"\newcommand{{\{name}}}{{{value}}}"
    return definition if key is None else config_key_comment(name, key) + "\n" + definition


# pdfTeX settings put before the report's first line: no date, trailer ID or file paths (of the
# study's directory) in the PDF, so that the same sources give the same bytes wherever and
# whenever they are built
REPRODUCIBLE_PDF = r"\pdfinfoomitdate=1 \pdftrailerid{} \pdfsuppressptexinfo=-1 "
# LaTeX's environment: the clock TeX reads (\today) fixed at the Unix epoch, for the same
# reason; output lines long enough that an error's file path and context are never wrapped
LATEX_ENVIRONMENT = {"SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "max_print_line": "10000"}
# A template's own files, copied from beside it into the build directory
TEMPLATE_SUFFIXES = (".tex", ".bib", ".bst", ".sty", ".cls")


class LatexError(RuntimeError):
    """The report did not compile: the message names the log, each error's file and line, and the
    generated macro (with its config key) that TeX was expanding."""


# A macro's definition in a generated file, after the comment of `config_key_comment` if any
_DEFINITION = re.compile(
    r"^(?:% \\(?P<commented>\w+): config key '(?P<key>[^']*)'\n)?\\newcommand\{\\(?P<name>\w+)\}", flags=re.MULTILINE
)


def _definitions(files: Sequence[Path]) -> dict[str, str]:
    """Where `files` define each macro ("defined at path:line") and the config key its text comes from."""
    found = {}
    for path in files:
        text = path.read_text(errors="replace")
        for match in _DEFINITION.finditer(text):
            line = text.count("\n", 0, match.start("name")) + 1
            key = f", from config key '{match['key']}'" if match["commented"] == match["name"] else ""
            found[match["name"]] = f"defined at {path}:{line}{key}"
    return found


def latex_failure(output: str, *, main_tex: Path, search_dirs: Sequence[Path]) -> list[str]:
    """What a failed build's output says: each error with its file and line (the template's
    path for its build copy), then each macro TeX was expanding that a generated file of
    `search_dirs` defines, with where and from which config key."""
    errors = [
        line.replace(f"./{main_tex.name}:", f"{main_tex}:", 1)
        for line in output.splitlines()
        if re.match(r"^(\S+\.tex:\d+: |! )", line)
    ]
    opened = [Path(p) for p in dict.fromkeys(re.findall(r"\((/[^()\s]+\.tex)", output))]
    definitions = _definitions([p for p in opened if p.is_file() and any(p.is_relative_to(d) for d in search_dirs)])
    expanding = dict.fromkeys(re.findall(r"^\\(\w+) ?(?:#\d)*->", output, flags=re.MULTILINE))
    return errors[:10] + [rf"while expanding \{name}, {definitions[name]}" for name in expanding if name in definitions]


# TeX's warning of a line set wider than the text (in the margin), as its .log writes it
_OVERFULL = re.compile(r"^Overfull \\hbox \([\d.]+pt too wide\) .*$", flags=re.MULTILINE)


def overfull_boxes(tex_log: str) -> list[str]:
    """Every "Overfull \\hbox" warning of a TeX .log: each line or table that runs into the margin."""
    return _OVERFULL.findall(tex_log)


def compile_latex(
    *, main_tex: str | os.PathLike, search_dirs: list[str | os.PathLike], pdf: str | os.PathLike, log: str | os.PathLike
) -> list[str]:
    """Compile the template `main_tex` into `pdf` with latexmk, writing its output to `log`, and
    after it TeX's overfull-box warnings (`overfull_boxes`), which it returns: latexmk prints
    none when the PDF was already up to date, TeX's .log has them whenever it was built.

    The template and its own files (`TEMPLATE_SUFFIXES` beside it) are copied into a private
    build directory beside `pdf`, and TeX searches `search_dirs`, the study's own directories,
    for everything else (generated/..., figures/...): never the template's directory, where a
    checkout may hold another study's parts. TeX runs no shell command, whatever the input, and
    the PDF's bytes depend on its sources only (`REPRODUCIBLE_PDF`, `LATEX_ENVIRONMENT`).
    Raises LatexError naming the log, the failing file and line, and the config key of the text
    (`latex_failure`).
    """
    if shutil.which("latexmk") is None:
        raise LatexError("latexmk not found: install it (Debian: apt-get install latexmk texlive-latex-recommended)")
    main_tex, build = Path(main_tex).resolve(), (Path(pdf).parent / "build").resolve()
    build.mkdir(parents=True, exist_ok=True)
    for source in main_tex.parent.iterdir():
        if source.is_file() and source.suffix in TEMPLATE_SUFFIXES:
            shutil.copyfile(source, build / source.name)
    dirs = [Path(d).resolve() for d in search_dirs]
    env = {**os.environ, **LATEX_ENVIRONMENT, "TEXINPUTS": ":".join(map(str, dirs)) + ":"}
    command = [
        "latexmk",
        "-pdf",
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-file-line-error",
        "-no-shell-escape",
        f"-usepretex={REPRODUCIBLE_PDF}",
        main_tex.name,
    ]
    with open(log, "w") as handle:
        completed = subprocess.run(command, cwd=build, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)  # latexmk remembers failures; the next try starts clean
        problems = latex_failure(Path(log).read_text(errors="replace"), main_tex=main_tex, search_dirs=dirs)
        raise LatexError(
            f"LaTeX failed on {main_tex} (latexmk exit {completed.returncode}); its output: {log}\n  "
            + "\n  ".join(problems)
        )
    overfull = overfull_boxes((build / f"{main_tex.stem}.log").read_text(errors="replace"))
    with open(log, "a") as handle:  # TeX's own log stays in the build directory; its warnings go here
        handle.write("".join(f"{warning}\n" for warning in overfull))
    with atomic_path(pdf) as tmp:
        shutil.copyfile(build / f"{main_tex.stem}.pdf", tmp)
    return overfull
