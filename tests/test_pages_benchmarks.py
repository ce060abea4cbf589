"""The benchmarks and architecture pages say what they mean (issue 18): their data shaping as plain
functions, and the pages themselves under Streamlit's AppTest with the committed result files.

Longer than ~300 lines because it is one test per claim the two pages make, sharing their fixtures."""

from __future__ import annotations

import copy
import json
import math
import shutil
from pathlib import Path

import pytest

from pages import benchmarks as page
from pages.charts import METHOD_COLOURS, PALETTE, colours_for
from srgan.reports import tables as report
from srgan.reports.architecture import stages_dot
from srgan.store import benchmark_mean

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "weights"
BENCH = json.loads((WEIGHTS / "benchmarks.json").read_text())
SPEED = json.loads((WEIGHTS / "speed.json").read_text())
ARCHITECTURE = json.loads((WEIGHTS / "architecture.json").read_text())
METHODS = list(BENCH["results"])
TIMED = [m for m in METHODS if not m.endswith("+")]  # self-ensembles (srresnet+) are not in speed.json
SETS = ["Set5", "Set14", "BSD100"]


def _mean(method: str, set_name: str, key: str) -> float:
    return BENCH["results"][method][set_name]["mean"][key]


# --- the pure functions -----------------------------------------------------------------------------------


def test_set_table_has_one_row_per_method_and_no_missing_values():
    assert report.set_names(BENCH) == SETS
    for set_name in SETS:
        table = report.set_table(BENCH, set_name)
        assert list(table["method"]) == METHODS
        assert not table.isna().any(axis=None)
        assert list(table[report.PSNR]) == [_mean(m, set_name, "psnr") for m in METHODS]
        assert list(table[report.niqe_column("niqe_matlab")]) == [_mean(m, set_name, "niqe_matlab") for m in METHODS]


def test_set_table_leaves_a_missing_value_empty_not_none():
    bench = copy.deepcopy(BENCH)
    del bench["results"]["ESPCN"]["Set5"]["mean"]["niqe_matlab"]
    table = report.set_table(bench, "Set5")
    matlab = table.set_index("method")[report.niqe_column("niqe_matlab")]
    assert math.isnan(matlab["ESPCN"]) and matlab.drop("ESPCN").notna().all()
    assert table[report.niqe_column("niqe_matlab")].dtype == float  # NaN, shown as the placeholder; never "None"


def test_psnr_gains_are_over_bicubic_on_the_same_set():
    gains = report.psnr_gains(BENCH)
    assert set(gains["method"]) == set(METHODS) - {"bicubic"}
    for row in gains.itertuples():
        assert row.gain == pytest.approx(_mean(row.method, row.set, "psnr") - _mean("bicubic", row.set, "psnr"))
    no_bicubic = copy.deepcopy(BENCH)
    del no_bicubic["results"]["bicubic"]
    assert report.psnr_gains(no_bicubic)["gain"].isna().all()


def test_niqe_key_prefers_the_matlab_model_where_every_method_has_it():
    assert report.niqe_key(BENCH, "Set5") == "niqe_matlab"
    bench = copy.deepcopy(BENCH)
    del bench["results"]["srgan"]["Set5"]["mean"]["niqe_matlab"]
    assert report.niqe_key(bench, "Set5") == "niqe"  # never one model for some methods and another for others
    for sets in bench["results"].values():
        for r in sets.values():
            r["mean"].pop("niqe", None)
    assert report.niqe_key(bench, "Set5") == "niqe_matlab"  # the one more methods have; srgan is left out
    assert "srgan" not in set(report.perception_distortion(bench, "Set5")["method"])
    for sets in bench["results"].values():
        for r in sets.values():
            r["mean"].pop("niqe_matlab", None)
    assert report.niqe_key(bench, "Set5") is None


def test_perception_distortion_points_are_set_means_or_every_image():
    for set_name in SETS:
        means = report.perception_distortion(BENCH, set_name)
        assert list(means["method"]) == METHODS
        assert list(means["niqe"]) == [_mean(m, set_name, "niqe_matlab") for m in METHODS]
        images = report.perception_distortion(BENCH, set_name, per_image=True)
        assert len(images) == sum(len(BENCH["results"][m][set_name]["images"]) for m in METHODS)
    # SRResNet wins on distortion, SRGAN on perception: the tradeoff the chart is there to show
    means = report.perception_distortion(BENCH, "Set5")
    assert report.best_methods(means[~means["method"].str.endswith("+")]) == ("srresnet", "srgan")
    assert report.best_methods(means) == ("srresnet+", "srgan")  # the self-ensemble sharpens SRResNet further


def test_speed_points_give_srgan_the_time_of_its_network():
    points = report.speed_points(SPEED, BENCH, "256x256", "Set14", report.SAME_NETWORK)
    srgan, srresnet = points[points["model"] == "srgan"], points[points["model"] == "srresnet"]
    assert len(srgan) == len(srresnet) > 0
    assert list(srgan["ms_per_output_mpx"]) == list(srresnet["ms_per_output_mpx"])
    assert set(srgan["psnr"]) == {_mean("srgan", "Set14", "psnr")}
    assert set(srgan["timed_as"]) == {"srresnet"}
    assert set(points.dropna(subset=["psnr"])["model"]) == set(TIMED)  # every timed method of the file
    unrated = points[points["psnr"].isna()]
    assert list(unrated["method"]) == ["bicubic (cv2)"]  # timed, but no quality measured for it


def test_known_methods_keep_their_colour_whichever_methods_a_chart_shows():
    everything = colours_for(METHODS)
    assert everything["bicubic"] == "#7F7F7F"
    assert len(set(everything.values())) == len(METHODS)  # one colour per method
    assert colours_for(["srgan", "srresnet"]) == {m: everything[m] for m in ("srgan", "srresnet")}
    assert colours_for(reversed(METHODS)) == everything
    unknown = colours_for(["bicubic", "EDSR", "srgan", "SwinIR"])
    assert unknown["EDSR"] == PALETTE[0] and unknown["SwinIR"] == PALETTE[1]
    assert not {unknown["EDSR"], unknown["SwinIR"]} & set(METHOD_COLOURS.values())


def test_benchmark_mean_reads_the_weights_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SRGAN_WEIGHTS", str(WEIGHTS))
    assert benchmark_mean("bicubic", "Set5") == _mean("bicubic", "Set5", "psnr")
    assert benchmark_mean("srgan", "BSD100", "niqe_matlab") == _mean("srgan", "BSD100", "niqe_matlab")
    assert benchmark_mean("bicubic", "Set5", "no such metric") is None
    assert benchmark_mean("no such method", "Set5") is None
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path))
    assert benchmark_mean("bicubic", "Set5") is None  # no benchmarks.json


def test_generator_drawing_is_the_committed_one():
    stages = ARCHITECTURE["generator"]["stages"]
    dot = stages_dot(stages)
    assert dot == ARCHITECTURE["generator"]["dot"]  # what describe() writes and the page draws
    assert "rankdir=TB;" in dot and "fontsize=14" in dot
    assert "BatchNormalization" not in dot and "Conv2D → BatchNorm → PReLU →\\nConv2D → BatchNorm → Add" in dot
    assert "1,190,912 params" in dot


# --- the pages under AppTest -----------------------------------------------------------------------------


@pytest.fixture
def weights(tmp_path, monkeypatch):
    """A weights folder with the committed result files and model cards (no weights: the pages need none)."""
    for name in ("benchmarks.json", "speed.json", "architecture.json", "srresnet_x4.json", "srgan_x4.json"):
        if (WEIGHTS / name).is_file():
            shutil.copyfile(WEIGHTS / name, tmp_path / name)
    monkeypatch.setenv("SRGAN_WEIGHTS", str(tmp_path))
    return tmp_path


def _run(script: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / script), default_timeout=120).run()
    assert not at.exception and not at.error
    return at


def _values(v) -> list:
    """A trace's x or y as a list: plotly writes number arrays as {"dtype", "bdata": base64}."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _figure(at, axis: str, text: str) -> list[dict]:
    """The plotly figures whose ``axis`` title contains ``text``."""
    return [f for f in _figures(at) if text in f["layout"].get(axis, {}).get("title", {}).get("text", "")]


def _legend_points(fig: dict) -> dict[str, tuple[list, list]]:
    """{trace name: (x, y)} of the traces in a figure's first legend."""
    return {
        t["name"]: (_values(t["x"]), _values(t["y"]))
        for t in fig["data"]
        if t.get("showlegend", True) and t.get("legend", "legend") == "legend"
    }


def test_benchmarks_page_has_a_table_per_set_without_none(weights):
    at = _run("pages/benchmarks.py")
    assert [t.label for t in at.tabs] == SETS
    tables = [df for df in at.dataframe if "method" in df.value.columns and report.PSNR in df.value.columns]
    assert len(tables) == len(SETS)
    for df, set_name in zip(tables, SETS, strict=True):
        assert list(df.value["method"]) == METHODS
        assert list(df.value.columns) == [
            "method",
            report.PSNR,
            report.SSIM,
            *map(report.niqe_column, report.NIQE_MODELS),
        ]
        assert len(df.value.columns) <= 5  # fits the page: one small table per set
        assert not df.value.isna().any(axis=None), set_name
    for df in at.dataframe:  # a missing value would show as this, never as "None"
        assert df.proto.placeholder == page.MISSING
        assert "None" not in df.value.astype(str).to_numpy().tolist()


def test_benchmarks_page_shows_a_missing_value_as_a_dash_and_says_why(weights):
    bench = copy.deepcopy(BENCH)
    del bench["results"]["ESPCN"]["BSD100"]["mean"]["niqe"]
    (weights / "benchmarks.json").write_text(json.dumps(bench))
    at = _run("pages/benchmarks.py")
    assert any("benchmarks.json has no such value for that method on BSD100" in c.value for c in at.caption)


def test_psnr_chart_shows_gains_over_bicubic(weights):
    at = _run("pages/benchmarks.py")
    (fig,) = _figure(at, "yaxis", "gain over bicubic")
    gains = report.psnr_gains(BENCH)
    for trace in fig["data"]:
        expected = gains[gains["method"] == trace["name"]]
        assert _values(trace["x"]) == list(expected["set"])
        assert _values(trace["y"]) == pytest.approx(list(expected["gain"]))
    assert {t["name"] for t in fig["data"]} == set(METHODS) - {"bicubic"}  # bicubic is the zero line
    assert min(y for t in fig["data"] for y in _values(t["y"])) < 0  # a loss to bicubic shows as one


def test_psnr_chart_without_bicubic_does_not_start_at_zero(weights):
    bench = copy.deepcopy(BENCH)
    del bench["results"]["bicubic"]
    (weights / "benchmarks.json").write_text(json.dumps(bench))
    at = _run("pages/benchmarks.py")
    (fig,) = [f for f in _figures(at) if f["layout"].get("yaxis", {}).get("title", {}).get("text") == report.PSNR]
    assert {t["type"] for t in fig["data"]} == {"scatter"}  # points: their axis fits the values, not 0


def test_perception_distortion_plane_has_one_point_per_method_per_set(weights):
    at = _run("pages/benchmarks.py")
    planes = _figure(at, "xaxis", "NIQE")
    assert len(planes) == len(SETS)
    for fig, set_name in zip(planes, SETS, strict=True):
        points = _legend_points(fig)
        assert list(points) == METHODS
        for method, (x, y) in points.items():
            assert x == pytest.approx([_mean(method, set_name, "niqe_matlab")])
            assert y == pytest.approx([_mean(method, set_name, "psnr")])
        assert "lower" in fig["layout"]["xaxis"]["title"]["text"]
        assert "higher" in fig["layout"]["yaxis"]["title"]["text"]
        assert len(fig["data"]) == len(METHODS)  # no per-image points until asked for
    captions = " ".join(c.value for c in at.caption)
    for set_name in SETS:  # the winners as the file has them, not as the text expected them
        sharpest = max(METHODS, key=lambda m, s=set_name: _mean(m, s, "psnr"))
        most_natural = min(METHODS, key=lambda m, s=set_name: _mean(m, s, "niqe_matlab"))
        assert f"mean over {set_name}" in captions
        assert f"Highest PSNR: {sharpest}; lowest NIQE: {most_natural}" in captions


def test_perception_distortion_plane_shows_every_image_on_demand(weights):
    at = _run("pages/benchmarks.py")
    at.toggle(key="pd_images").set_value(True).run()
    assert not at.exception
    planes = _figure(at, "xaxis", "NIQE")
    for fig, set_name in zip(planes, SETS, strict=True):
        assert list(_legend_points(fig)) == METHODS  # the means stay, one point each
        clouds = [t for t in fig["data"] if t.get("showlegend") is False]
        assert {t["legendgroup"] for t in clouds} == set(METHODS)
        for t in clouds:
            images = BENCH["results"][t["legendgroup"]][set_name]["images"]
            assert sorted(_values(t["x"])) == sorted(im["niqe_matlab"] for im in images)


def test_quality_speed_chart_has_every_method_srgan_included(weights):
    at = _run("pages/benchmarks.py")
    (fig,) = _figure(at, "xaxis", "ms per output megapixel")
    points = _legend_points(fig)
    assert list(points) == TIMED  # in the file's order, as on the other charts
    assert "Not timed at 256x256: srresnet+, srgan+." in " ".join(c.value for c in at.caption)
    srgan_x, srgan_y = points["srgan"]
    assert srgan_x == pytest.approx(points["srresnet"][0])  # the same network, so the same times
    assert srgan_y == pytest.approx([_mean("srgan", "Set5", "psnr")] * len(srgan_y))
    assert not any(t.get("mode", "").count("text") for t in fig["data"])  # no labels to print on each other
    at.segmented_control(key="speed_set").set_value("BSD100").run()
    (fig,) = _figure(at, "xaxis", "ms per output megapixel")
    srgan_y = _legend_points(fig)["srgan"][1]
    assert srgan_y == pytest.approx([_mean("srgan", "BSD100", "psnr")] * len(srgan_y))


def test_cold_start_delta_reads_lower_is_better(weights):
    at = _run("pages/benchmarks.py")
    cold = next(m for m in at.metric if m.label.startswith("Cold start"))
    assert cold.label == f"Cold start (CLI, {SPEED['cold_start']['size']} LR)"
    assert cold.delta == f"{SPEED['cold_start']['seconds'] - SPEED['cold_start_keras']['seconds']:+.1f} s"
    assert cold.delta.startswith("-")
    assert cold.proto.color == cold.proto.MetricColor.GREEN  # faster than TensorFlow: good news, in green
    assert "TensorFlow" in cold.proto.delta_description


def test_paper_section_sets_the_papers_bicubic_psnr_beside_the_measured_one(weights):
    at = _run("pages/benchmarks.py")
    paper = report.paper_number("bicubic", "Set5 PSNR")
    text = " ".join(m.value for m in at.markdown)
    measured = f"{_mean('bicubic', 'Set5', 'psnr'):.2f} dB / SSIM {_mean('bicubic', 'Set5', 'ssim'):.4f} here"
    assert f"Set5: {paper:.2f} dB in Table 2; {measured}" in text
    (table,) = [df for df in at.dataframe if "Set5 PSNR" in df.value.columns]
    assert table.value.set_index("method").at["bicubic", "Set5 PSNR"] == paper  # the table and the text agree
    assert json.loads(table.proto.columns)["Set5 SSIM"]["type_config"]["format"] == page.SSIM_FORMAT


def test_architecture_page_counts_with_thousands_separators(weights):
    at = _run("pages/architecture.py")
    text = " ".join(m.value for m in at.markdown)
    assert f"{ARCHITECTURE['generator']['parameters']:,} parameters" in text
    assert f"{ARCHITECTURE['discriminator']['parameters']:,} parameters" in text
    with_counts = [df for df in at.dataframe if "parameters" in df.value.columns]
    assert len(with_counts) == 3  # stages, every generator layer, every discriminator layer
    for df in with_counts:
        assert json.loads(df.proto.columns)["parameters"]["type_config"]["format"] == "%,d"  # 1,190,912


def test_architecture_page_drawing_and_stage_table_fit(weights):
    at = _run("pages/architecture.py")
    (drawing,) = at.get("graphviz_chart")
    assert drawing.proto.spec == ARCHITECTURE["generator"]["dot"]  # the committed drawing, top to bottom
    stages = next(df for df in at.dataframe if "stage" in df.value.columns)
    assert not stages.value["layers"].str.contains("BatchNormalization").any()  # short names
    assert json.loads(stages.proto.columns)["layers"]["width"] == "large"
    blocks = stages.value.set_index("stage").at["residual blocks", "repeat"]
    assert f"the layers of one block, repeated {blocks}×; parameters for all {blocks}" in at.caption[0].value
    (curve,) = _figures(at)
    assert curve["layout"]["shapes"][0]["y0"] == _mean("bicubic", "Set5", "psnr")  # measured, as in docs/


def test_architecture_page_without_benchmarks_draws_no_bicubic_line(weights):
    (weights / "benchmarks.json").unlink()
    at = _run("pages/architecture.py")
    (curve,) = _figures(at)
    assert not curve["layout"].get("shapes")
