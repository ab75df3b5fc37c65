"""Every number of the report's text against the config, the tables or the code it comes from."""

import math
import re
import subprocess

import pandas as pd
import pytest
from conftest import REPO, SCHEMA
from paper_inputs import (
    macro_inputs,
    macros_of,
    make_study,
    make_tests_table,
    number_of,
    runs_table,
    summary_row,
    summary_table,
)

from modecollapse import published as pub
from modecollapse import replication as rep
from modecollapse.architectures import IMAGE_ARCHITECTURES
from modecollapse.config import load_config
from modecollapse.data import DATASETS, DIGITS_TEST_FRACTION, ONLINE_REFERENCE_SIZE
from modecollapse.evaluate import LEVELLED_OFF
from modecollapse.metrics import MODES_COVERED, PLATEAU_MIN_SNAPSHOTS
from modecollapse.paper.latex import compile_latex, latex_escape
from modecollapse.paper.macros import (
    IMAGE_NETS_TEXT,
    LEVELLED_OFF_TEXT,
    REACH_TEXT,
    STACK_FROM_TEXT,
    image_architectures,
    study_macros,
)
from modecollapse.paper.replication import replication_section
from modecollapse.stats import ALPHA, compare_with_baseline, smallest_p_value

# --- every number of the text against its source ----------------------------------------------


def test_every_macro_equals_its_source(schema):
    study, runs, summary = macro_inputs(schema)
    macros = macros_of(study_macros(study=study, runs=runs, summary=summary))
    assert int(macros["StudySeeds"]) == len(study["seeds"]) == 5
    assert macros["StudySeedList"] == "0, 1, 2, 3, 4"
    assert int(macros["StudyRuns"]) == len(runs) and int(macros["StudyDiverged"]) == 5
    assert number_of(macros["StudyDataSize"]) == study["data"]["size"] == 12_000
    assert number_of(macros["StudyStackedSize"]) == study["data"]["stacked_size"] == 5_000
    assert macros["StudyStackedSet"] == "a fixed set of 5{,}000 stacked images drawn once"
    assert macros["StudyStackFrom"] == STACK_FROM_TEXT["all"]
    assert int(macros["StudyDataSeed"]) == study["data"]["seed"]
    evaluation = study["evaluation"]
    assert number_of(macros["StudyThreshold"]) == evaluation["threshold"]
    assert number_of(macros["StudyConfidence"]) == evaluation["confidence"]
    assert number_of(macros["StudyCollapseShare"]) == evaluation["collapse_coverage"]
    assert number_of(macros["StudyPlateauWindow"]) == evaluation["plateau_window"] == 0.2
    assert number_of(macros["StudyPlateauTolerance"]) == evaluation["plateau_tolerance"] == 0.05
    assert int(macros["StudyPlateauMinSnapshots"]) == PLATEAU_MIN_SNAPSHOTS
    assert int(macros["StudyNoHighQuality"]) == 3
    assert (int(macros["StudyLevelledOff"]), int(macros["StudyLevelledOffDefined"])) == (7, 9)
    assert int(macros["StudyUnderTrained"]) == 2
    assert macros["StudyLevelledOffSentence"] == LEVELLED_OFF_TEXT[True].format(levelled=7, defined=9, under=2)
    assert macros["StudyMMDBandwidths"] == "ring8: 0.876; grid25: 2.5"
    assert (
        macros["StudyLogK"] == r"ring8: $\log 8 = 2.08$; grid25: $\log 25 = 3.22$; stacked-digits: $\log 1000 = 6.91$"
    )
    assert number_of(macros["StudyAlpha"]) == ALPHA
    assert number_of(macros["VerdictWidth"]) == rep.VERDICT_WIDTH and int(macros["VerdictMinSeeds"]) == rep.MIN_SEEDS
    assert macros["StudyScale"] == "test" and macros["Baseline"] == "gan-ns"


def test_smallest_p_macros_equal_the_tests_table(schema):
    """The smallest Holm-adjusted p of the text is what the tests could reach with these seeds."""
    study, runs, summary = macro_inputs(schema)
    macros = macros_of(study_macros(study=study, runs=runs, summary=summary))
    assert (
        int(macros["StudyHolmFamily"]) == 2 and int(macros["StudySweepFamily"]) == 2
    )  # pacgan-2, hinge; lr 0.003, 0.01
    assert float(macros["StudySmallestRawP"]) == pytest.approx(2 / math.comb(10, 5), rel=5e-3)
    assert float(macros["StudySmallestP"]) == pytest.approx(
        smallest_p_value(n_variant=5, n_baseline=5, family_size=2), rel=5e-3
    )
    # perfectly separated values (no ties): the tests' own min_p per family is the macro's value
    names = list(rep.study_settings(study)["ring8"])
    metrics = pd.DataFrame(
        [
            {"dataset": "ring8", "variant": v, "seed": s, "step": 500, "metric": MODES_COVERED, "value": 10.0 * i + s}
            for i, v in enumerate(names)
            for s in study["seeds"]
        ]
    )
    tests = compare_with_baseline(
        metrics,
        baseline="gan-ns",
        variants=list(study["variants"]),
        sweeps={"gan-ns@lr=0.003": "gan-ns", "gan-ns@lr=0.01": "gan-ns"},
    )
    by_family = tests.groupby("family")["min_p"].min()
    assert float(macros["StudySmallestP"]) == pytest.approx(by_family["variants"], rel=5e-3)
    assert float(macros["StudySweepsSmallestP"]) == pytest.approx(by_family["sweeps"], rel=5e-3)
    assert macros["StudySignificanceReach"] == REACH_TEXT[True]  # 0.0159 < 0.05
    few = macros_of(study_macros(study=make_study(schema, seeds=[0, 1]), runs=runs, summary=summary))
    assert float(few["StudySmallestP"]) == pytest.approx(min(1.0, 2 * 2 / 6), rel=5e-3)
    assert few["StudySignificanceReach"] == REACH_TEXT[False]


def test_levelled_off_sentence_when_no_run_has_enough_snapshots(schema):
    study, runs, _ = macro_inputs(schema)
    summary = summary_table([summary_row("ring8", "gan-ns", LEVELLED_OFF, [math.nan] * 5)])
    macros = macros_of(study_macros(study=study, runs=runs, summary=summary))
    assert macros["StudyLevelledOffSentence"] == LEVELLED_OFF_TEXT[False]
    assert (int(macros["StudyLevelledOff"]), int(macros["StudyLevelledOffDefined"])) == (0, 0)


def test_stacked_on_the_fly_macros(schema):
    study, runs, summary = macro_inputs(schema, data={"stacked_size": 0, "stack_from": "train"})
    macros = macros_of(study_macros(study=study, runs=runs, summary=summary))
    assert number_of(macros["StudyStackedSize"]) == 0
    assert f"{ONLINE_REFERENCE_SIZE:,}".replace(",", "{,}") in macros["StudyStackedSet"]
    assert macros["StudyStackFrom"] == STACK_FROM_TEXT["train"]


def test_stacked_size_is_not_the_2d_size_in_the_text():
    text = (REPO / "paper" / "main.tex").read_text()
    stacked = text[text.index(r"\emph{stacked} forms") : text.index(r"\paragraph{Variants.}")]
    assert r"\StudyStackedSize" in stacked and r"\StudyStackedSet" in stacked and r"\StudyStackFrom" in stacked
    assert r"\StudyDataSize" not in stacked


def test_every_macro_of_the_text_is_generated(schema):
    study, runs, summary = macro_inputs(schema)
    defined = set(macros_of(study_macros(study=study, runs=runs, summary=summary)))
    settings = rep.study_settings(study)
    section = replication_section(study=study, settings=settings, summary=summary, tests=make_tests_table([]))
    # every command of ours: LaTeX's own are lower-case, but for \S (the section sign)
    used = set(re.findall(r"\\([A-Z][A-Za-z]*)", (REPO / "paper" / "main.tex").read_text() + section)) - {"S"}
    assert used <= defined, used - defined


def test_the_code_constants_of_the_text_equal_their_source(schema):
    study, runs, summary = macro_inputs(schema)
    macros = macros_of(study_macros(study=study, runs=runs, summary=summary))
    ring, grid = DATASETS["ring8"], DATASETS["grid25"]
    assert int(macros["RingModes"]) == ring.n_modes == 8
    assert all(math.isclose(math.hypot(x, y), number_of(macros["RingRadius"])) for x, y in ring.centers)
    assert number_of(macros["RingStd"]) == ring.std
    values = [float(value) for value in macros["GridValues"].split(",")]
    assert int(macros["GridModes"]) == grid.n_modes and {(x, y) for x in values for y in values} == set(grid.centers)
    assert number_of(macros["GridStd"]) == grid.std
    assert int(macros["DigitsSide"]) == DATASETS["digits"].image_size == 8
    assert int(macros["MnistSide"]) == DATASETS["mnist"].image_size == 28
    assert int(macros["DigitsClasses"]) == DATASETS["digits"].n_modes == 10
    assert number_of(macros["DigitsHeldOutShare"]) == pytest.approx(DIGITS_TEST_FRACTION)
    assert number_of(macros["DigitsTrainShare"]) == pytest.approx(1 - DIGITS_TEST_FRACTION)
    assert int(macros["StackedModes"]) == DATASETS["stacked-digits"].n_modes == DATASETS["stacked-mnist"].n_modes
    assert number_of(macros["PublishedStackedSamples"]) == pub.VEEGAN_STACKED["snapshot_samples"] == 26_000


def test_the_text_types_none_of_the_code_constants_it_states():
    text = (REPO / "paper" / "main.tex").read_text()
    typed_before = (
        "8 modes",
        "25 modes",
        "radius 1",
        "0.01",
        "0.05",
        r"8\times8",
        r"28\times28",
        "1000",
        "26{,}000",
        "DCGAN-style",
    )
    for typed in typed_before:
        assert typed not in text, typed


# --- the image nets the text names are the ones the study trains ------------------------------

# The report's words for the default study's nets (the small DCGAN), as they were before the text named the study's own
SMALL_DCGAN_WORDS = (
    r"DCGAN-style convolutional networks~\cite{dcgan} (two strided (de)convolutions of \texttt{g\_width} or "
    r"\texttt{d\_width} and twice as many channels; BatchNorm in $G$, LeakyReLU and no BatchNorm in $D$)"
)


def test_every_image_architecture_has_words_and_citations_of_the_text():
    assert set(IMAGE_NETS_TEXT) == set(IMAGE_ARCHITECTURES)
    bibliography = set(re.findall(r"\\bibitem\{(\w+)\}", (REPO / "paper" / "main.tex").read_text()))
    for lead, _ in IMAGE_NETS_TEXT.values():
        for keys in re.findall(r"\\cite\{([^}]*)\}", lead):
            assert set(keys.split(",")) <= bibliography, keys


def test_the_image_nets_macro_names_the_architecture_each_study_trains():
    macros = {}
    for name in ("config", "pacgan-table2", "pacgan-table3"):
        study = load_config(REPO / "config" / f"{name}.yaml", schema_path=SCHEMA)
        text = study_macros(study=study, runs=runs_table(study), summary=summary_table([]))
        macros[name] = macros_of(text)["StudyImageNets"]
    assert macros["config"] == SMALL_DCGAN_WORDS  # the default study's sentence reads as it always did
    for name, arch in (("pacgan-table2", "veegan-dcgan"), ("pacgan-table3", "unrolled-gan")):
        assert latex_escape(IMAGE_ARCHITECTURES[arch].description) in macros[name]
        assert "DCGAN-style" not in macros[name]


def test_runs_of_different_image_nets_are_named_with_their_nets(schema):
    study = make_study(
        schema,
        datasets=["ring8", "stacked-mnist"],
        variants={"gan-ns": {}, "pacgan-2": {"image_arch": "veegan-dcgan"}, "hinge": {}},
    )
    assert image_architectures(study) == {
        "dcgan": ["gan-ns", "hinge", "gan-ns@lr=0.003", "gan-ns@lr=0.01"],
        "veegan-dcgan": ["pacgan-2"],
    }
    text = macros_of(study_macros(study=study, runs=runs_table(study), summary=summary_table([])))["StudyImageNets"]
    assert text == (
        SMALL_DCGAN_WORDS
        + r" in runs \texttt{gan-ns}, \texttt{hinge}, \texttt{gan-ns@lr=0.003}, "
        + r"\texttt{gan-ns@lr=0.01} and convolutional networks~\cite{veegan,pacgan} ("
        + latex_escape(IMAGE_ARCHITECTURES["veegan-dcgan"].description)
        + r") in runs \texttt{pacgan-2}"
    )


@pytest.mark.needs_tex
def test_a_table2_study_s_pdf_names_the_nets_it_trains(tmp_path):
    """The text the reader sees: the sentence of paper/main.tex that names the image nets, with the
    macros of config/pacgan-table2.yaml, compiled by LaTeX."""
    study = load_config(REPO / "config" / "pacgan-table2.yaml", schema_path=SCHEMA)
    (tmp_path / "generated").mkdir()
    macros = study_macros(study=study, runs=runs_table(study), summary=summary_table([]))
    (tmp_path / "generated" / "study.tex").write_text(macros)
    main = (REPO / "paper" / "main.tex").read_text()
    sentence = re.search(r"Image datasets train .*?\\ImageSettings\.", main, flags=re.DOTALL)[0]
    bibliography = re.search(r"\\begin\{thebibliography\}.*?\\end\{thebibliography\}", main, flags=re.DOTALL)[0]
    template = tmp_path / "template" / "main.tex"
    template.parent.mkdir()
    template.write_text(
        "\n".join(
            [
                main[: main.index(r"\begin{document}")],  # the report's packages and macros (generated/study)
                r"\begin{document}",
                r"\hyphenpenalty=10000 \exhyphenpenalty=10000",  # no word broken across lines: the text reads as typed
                sentence,
                "",
                bibliography,
                r"\end{document}",
                "",
            ]
        )
    )
    pdf = tmp_path / "out" / "main.pdf"
    compile_latex(main_tex=template, search_dirs=[tmp_path], pdf=pdf, log=tmp_path / "latexmk.log")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = "".join(text.replace("’", "'").split())  # T1 fonts typeset ' as a right quote
    assert "".join(IMAGE_ARCHITECTURES["veegan-dcgan"].description.split()) in words
    assert "image_arch=veegan-dcgan" in words  # and the setting that chose them, among the image settings
    assert "DCGAN-style" not in words and "[?]" not in words  # not the small DCGAN; every citation resolved
