"""The report appendix's tables: the software that computed each stage, and what the jobs cost."""

import numpy as np
import pandas as pd

from modecollapse.paper.appendix import compute_appendix, software_appendix
from modecollapse.paper.latex import stacked
from modecollapse.provenance import software_table


def _record(torch="2.13.0+cpu", **extra):
    return {
        "versions": {"modecollapse": "0.1.0", "torch": torch, "numpy": "2.4.6"},
        "python": "3.11.7",
        "git_commit": "0123456789abcdef0123",
        **extra,
    }


def test_software_table_counts_outputs_per_value_so_mixed_versions_show():
    software = software_table(
        {
            "training": [_record(), _record(), _record(torch="2.12.0", gpu="NVIDIA H100", cuda="12.8")],
            "evaluation": [_record()],
        }
    )
    torch_rows = software[(software["stage"] == "training") & (software["item"] == "torch")]
    assert dict(zip(torch_rows["value"], torch_rows["outputs"])) == {"2.13.0+cpu": 2, "2.12.0": 1}
    gpu = software[(software["stage"] == "training") & (software["item"] == "GPU")]
    assert dict(zip(gpu["value"], gpu["outputs"])) == {"none (CPU)": 2, "NVIDIA H100": 1}
    assert set(software.loc[software["item"] == "code commit", "value"]) == {"0123456789ab"}
    table = software_appendix(software)
    assert "& Training (3) & Evaluation (1)" in table  # classifier-free study: no column for it
    lines = table.splitlines()
    torch_line = next(line for line in lines if line.startswith("torch"))
    assert torch_line == "torch & " + stacked(["2.13.0+cpu (2)", "2.12.0 (1)"]) + r" & 2.13.0+cpu \\"
    items = [line.split(" & ")[0] for line in lines if " & " in line][1:]
    assert items[:3] == ["modecollapse", "torch", "numpy"] and items[-4:] == ["Python", "GPU", "CUDA", "code commit"]


def test_compute_appendix_sums_jobs_per_stage_and_dataset_in_data_flow_order():
    benchmarks = pd.DataFrame(
        [
            {
                "stage": "evaluation",
                "dataset": "ring8",
                "variant": "gan-ns",
                "seeds": "",
                "wall_s": 7.0,
                "cpu_s": 6.0,
                "max_rss_mb": 450.0,
            },
            {
                "stage": "training",
                "dataset": "ring8",
                "variant": "gan-ns",
                "seeds": "0 1",
                "wall_s": 100.0,
                "cpu_s": 90.0,
                "max_rss_mb": 400.0,
            },
            {
                "stage": "training",
                "dataset": "ring8",
                "variant": "wgan-gp",
                "seeds": "0 1",
                "wall_s": 50.0,
                "cpu_s": 45.0,
                "max_rss_mb": 1400.0,
            },
            {
                "stage": "classifier",
                "dataset": "digits",
                "variant": "",
                "seeds": "",
                "wall_s": 13.0,
                "cpu_s": np.nan,
                "max_rss_mb": np.nan,
            },
        ]
    )
    rows = [line for line in compute_appendix(benchmarks).splitlines() if line.endswith(r"\\")][1:]
    assert rows == [
        r"classifier & digits & 1 & 13 s & 13 s & -- & -- \\",
        r"training & ring8 & 2 & 2.5 min & 100 s & 2.2 min & 1{,}400 \\",
        r"evaluation & ring8 & 1 & 7 s & 7 s & 6 s & 450 \\",
    ]
