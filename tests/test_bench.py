"""The speed benchmark: FLOP count against the closed form, and a tiny end-to-end run."""

import json

import numpy as np
import pytest

from srgan.cli import main
from srgan.machine import cpu_peak
from srgan.reports.costs import PeakRSS, conv_flops, flops_per_lr_pixel, time_method


def test_flops_match_the_closed_form_of_the_paper_generator():
    from srgan.model.models import build_generator, inference_generator

    c, b = 64, 16
    closed = 2 * (
        9 * 9 * 3 * c  # head, at LR size
        + b * 2 * 3 * 3 * c * c  # residual blocks
        + 3 * 3 * c * c  # body conv
        + 3 * 3 * c * 4 * c  # up1 conv at LR size
        + 3 * 3 * c * 4 * c * 4  # up2 conv at 2x (4 pixels per LR pixel)
        + 9 * 9 * c * 3 * 16  # tail at 4x
    )
    assert flops_per_lr_pixel(build_generator()) == pytest.approx(closed)
    rows = conv_flops(build_generator(bicubic_skip=True))
    bicubic = next(r for r in rows if r["layer"] == "bicubic")
    assert bicubic["flops_per_lr_pixel"] == pytest.approx(2 * 5 * 5 * 3 * 48)
    assert sum(r["flops_per_lr_pixel"] for r in rows) == pytest.approx(closed + 2 * 5 * 5 * 3 * 48)
    # the inference layout: the 9x9 tail becomes a 5x5 (4c -> 12) conv at 2x, counted too
    fast = flops_per_lr_pixel(inference_generator(build_generator()))
    assert fast == pytest.approx(closed - 2 * 9 * 9 * c * 3 * 16 + 2 * 5 * 5 * 4 * c * 12 * 4)


def test_cpu_peak_states_how_it_was_derived():
    peak = cpu_peak()
    assert peak["gflops"] > 0 and peak["cores"] >= 1
    assert f"{peak['flops_per_cycle']} FP32 FLOP/cycle" in peak["how"]


def test_time_method_takes_the_median_and_sees_memory():
    calls = []

    def method(lr):
        calls.append(1)
        return np.zeros((lr.shape[0] * 4, lr.shape[1] * 4, 3), np.uint8)

    r = time_method(method, np.zeros((8, 8, 3), np.uint8), min_runs=3, budget_s=0)
    assert len(r["runs"]) == 3 and len(calls) == 4  # one warm-up
    assert r["peak_rss_mb"] >= r["rss_before_mb"] > 0
    with pytest.raises(ValueError, match="returned"):
        time_method(lambda lr: lr, np.zeros((8, 8, 3), np.uint8))


def test_peak_rss_sees_a_short_allocation():
    with PeakRSS() as mem:
        block = np.ones(200 * 1024 * 1024 // 8)  # 200 MB, touched
        del block
    assert mem.peak_mb - mem.start_mb > 150


def test_bench_command_writes_json_and_markdown(tiny_weights, tmp_path):
    out, md = tmp_path / "speed.json", tmp_path / "speed.md"
    args = ["bench", "--sizes", "16x16", "24x20", "--runs", "1", "--budget", "0", "--no-peers"]
    assert main([*args, "--json", str(out), "--markdown", str(md), "--tile", "8", "--tile-pad", "4"]) == 0
    result = json.loads(out.read_text())
    methods = {(r["method"], r["size"]) for r in result["results"]}
    engines = ["srresnet openvino fp32", "srresnet keras", "srresnet keras xla"]
    engines += ["srresnet openvino bf16"] if "srresnet openvino bf16" not in result["skipped"] else []
    engines += ["srresnet onnxruntime"] if "srresnet onnxruntime" not in result["skipped"] else []
    assert methods == {(m, s) for m in [*engines, "bicubic (PIL)", "bicubic (cv2)"] for s in ("16x16", "24x20")}
    fp32 = next(r for r in result["results"] if r["method"] == "srresnet openvino fp32" and r["size"] == "24x20")
    flops = result["generator"]["inference_flops_per_lr_pixel"]
    assert fp32["floor_seconds"] == pytest.approx(flops * 480 / (result["peak"]["gflops"] * 1e9))
    assert fp32["sgemm_floor_seconds"] == pytest.approx(flops * 480 / (result["peak"]["sgemm_gflops"] * 1e9))
    assert result["cold_start"]["seconds"] > 0 and result["cold_start"]["peak_rss_mb"] > 30
    # TensorFlow alone is larger than the whole OpenVINO process
    assert result["cold_start_keras"]["peak_rss_mb"] > result["cold_start"]["peak_rss_mb"] + 100
    assert main(["bench", "--cold-start-only", "--json", str(out), "--tile", "8", "--tile-pad", "4"]) == 0
    again = json.loads(out.read_text())
    assert again["results"] == result["results"] and "cold_start_date" in again
    assert "| 24x20 | srresnet openvino fp32 |" in md.read_text()


def test_quality_vs_speed_joins_by_quality_key():
    from srgan.reports.tables import quality_vs_speed

    speed = {
        "results": [
            {
                "method": "srresnet openvino fp32",
                "quality_key": "srresnet",
                "size": "64x64",
                "ms_per_output_mpx": 900.0,
            },
            {"method": "bicubic (cv2)", "quality_key": None, "size": "64x64", "ms_per_output_mpx": 2.0},
            {
                "method": "srresnet openvino fp32",
                "quality_key": "srresnet",
                "size": "128x128",
                "ms_per_output_mpx": 1.0,
            },
        ]
    }
    bench = {"results": {"srresnet": {"Set5": {"mean": {"psnr": 29.3}}}}}
    assert quality_vs_speed(speed, bench, "64x64") == [
        {"method": "srresnet openvino fp32", "ms_per_output_mpx": 900.0, "psnr": 29.3},
        {"method": "bicubic (cv2)", "ms_per_output_mpx": 2.0, "psnr": None},
    ]


def test_cli_marginal_compares_each_round_with_its_own_sgemm(monkeypatch):
    # a round on a machine running at half speed: both its times and its floor double, its ratio holds
    from srgan.reports import costs, speed_cli

    rates = iter([200.0, 100.0, 200.0])
    slow = {"factor": 1.0}

    def fake_sgemm(repeats: int = 5) -> float:
        rate = next(rates)
        slow["factor"] = 200.0 / rate
        return rate

    def fake_upscale(model, width, height, extra=None):
        work = {16: 0.5, 256: 0.5 + 0.6 * (1.0 if "bf16" in extra else 1.2)}[width]
        return {"seconds": work * slow["factor"]}

    monkeypatch.setattr(costs, "sgemm_gflops", fake_sgemm)
    monkeypatch.setattr(speed_cli, "cli_upscale", fake_upscale)
    flops = 1.0 / 256 / 256 * 200e9  # a floor of 1 s at 200 GFLOP/s
    out = speed_cli.cli_marginal("srresnet", ["fp32", "bf16"], flops, runs=3)
    assert out["sgemm_gflops"] == [200.0, 100.0, 200.0]
    assert out["floor_seconds"] == pytest.approx(1.0)
    assert out["bf16"]["of_floor_rounds"] == pytest.approx([0.6, 0.6, 0.6])
    assert out["fp32"]["of_floor_rounds"] == pytest.approx([0.72, 0.72, 0.72])
    assert out["bf16"]["seconds_256"] == pytest.approx([1.1, 2.2, 1.1])
    assert out["bf16"]["marginal"] == pytest.approx(0.6)  # the median round
