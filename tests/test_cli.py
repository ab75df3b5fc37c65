import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from modecollapse.cli import main
from modecollapse.data import DATASETS
from modecollapse.variants import VARIANTS


def test_datasets_lists_every_dataset(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in DATASETS) and "PacGAN" in out


def test_variants_lists_every_variant_with_its_source(capsys):
    assert main(["variants"]) == 0
    out = capsys.readouterr().out
    for name, variant in VARIANTS.items():
        assert name in out and variant.source in out


def test_check_config_refuses_a_typo(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: [ring8]\nseeds: [0]\nvariants: {gan-ns: {lrr: 1}}\n")
    assert main(["check-config", str(bad)]) == 1
    assert "unknown key(s) 'lrr'" in capsys.readouterr().err


def test_console_script_is_installed():
    result = subprocess.run([str(Path(sys.executable).parent / "modecollapse"), "variants"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0 and "gan-ns" in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"[1, 2]\n", ":1:1: the file holds a list; a study config is a mapping of keys"),
        (b"just text\n", ":1:1: the file holds a string; a study config is a mapping of keys"),
        (b"scale: caf\xe9\n", ":1:11: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
        (b"datasets: [ring8\nseeds: 0\n", ":2:6: not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence at line 1)"),
        (b"datasets: [ring8]\nseeds: [0]\nseeds: [1]\nvariants: {gan-ns: {}}\n", ":3:1: duplicate key 'seeds' (first at line 2)"),
    ],
)
def test_check_config_names_file_and_line_of_a_malformed_file(tmp_path, capsys, text, expected):
    path = tmp_path / "study.yaml"
    path.write_bytes(text)
    assert main(["check-config", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"modecollapse: {path}{expected}") and len(captured.err.splitlines()) == 1
    assert captured.out == ""


def test_check_config_of_a_missing_file_says_so(tmp_path, capsys):
    assert main(["check-config", str(tmp_path / "nope.yaml")]) == 1
    assert capsys.readouterr().err == f"modecollapse: {tmp_path / 'nope.yaml'}: cannot be read: No such file or directory\n"


def test_check_config_accepts_exponent_notation(tmp_path, capsys):
    path = tmp_path / "study.yaml"
    path.write_text("datasets: [ring8]\nseeds: [0]\ntrain: {lr: 1e-4, steps: 1E3}\nvariants: {gan-ns: {}}\n")
    assert main(["check-config", str(path)]) == 1  # 1E3 is a number, but steps is an integer
    assert "config['train']['steps']: 1000.0 is not an integer; allowed: an integer, written without a decimal point or exponent" in capsys.readouterr().err
    path.write_text("datasets: [ring8]\nseeds: [0]\ntrain: {lr: 1e-4, steps: 1000}\nvariants: {gan-ns: {}}\n")
    assert main(["check-config", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: valid\n"


def test_check_config_refuses_an_unsafe_scale(tmp_path, capsys):
    path = tmp_path / "study.yaml"
    path.write_text("scale: ${oops}\ndatasets: [ring8]\nseeds: [0]\nvariants: {gan-ns: {}}\n")
    assert main(["check-config", str(path)]) == 1
    assert "config['scale']: '${oops}' does not match the allowed pattern ^[A-Za-z0-9]" in capsys.readouterr().err


def test_check_config_console_script_gives_no_traceback(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("- a list\n")
    result = subprocess.run([str(Path(sys.executable).parent / "modecollapse"), "check-config", str(path)], capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == f"modecollapse: {path}:1:1: the file holds a list; a study config is a mapping of keys (datasets, seeds, variants, ...)\n"
