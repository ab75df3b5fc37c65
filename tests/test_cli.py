import subprocess
import sys
from pathlib import Path

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
