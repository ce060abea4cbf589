"""One description of the machine, for benchmark files and model cards: CPU, cores, the vector and
matrix features that choose fast paths, the versions of the libraries that ran, the CPU's nominal FP32
peak (:func:`cpu_peak`) and where a run trains (:func:`training_hardware`). Imports nothing heavy at
import time."""

from __future__ import annotations

import os
import platform
from functools import cache
from importlib import metadata
from pathlib import Path

FEATURES = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")  # /proc/cpuinfo flags worth naming


@cache
def cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (empty where there is none)."""
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return info


def cpu_model() -> str:
    return cpuinfo().get("model name") or platform.processor() or platform.machine()


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container's share), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def cpu_vendor() -> str:
    """``"AuthenticAMD"``, ``"GenuineIntel"``, ... (empty where /proc/cpuinfo has none)."""
    return cpuinfo().get("vendor_id", "")


def cpu_features() -> list[str]:
    flags = set(cpuinfo().get("flags", "").split())
    return [f for f in FEATURES if f in flags]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> str:
    """``"Intel(R) Xeon(R) Processor, 2 cores (avx2 avx512f avx512_bf16), OpenVINO 2026.4.1, ..., Linux"``."""
    versions = [
        f"{label} {v}"
        for label, package in (("OpenVINO", "openvino"), ("TensorFlow", "tensorflow-cpu"), ("TensorFlow", "tensorflow"),
                               ("Keras", "keras"), ("NumPy", "numpy"))
        if (v := _version(package))
    ]  # fmt: skip
    features = " ".join(cpu_features()) or "no AVX2"
    return f"{cpu_model()}, {usable_cores()} cores ({features}), {', '.join(versions)}, {platform.system()}"


def cpu_peak() -> dict:
    """Theoretical FP32 peak of the cores this process may use, with how it was derived.

    peak = cores x clock x FLOP/cycle, FLOP/cycle = 2 (an FMA) x 2 FMA pipes x FP32 lanes. Lanes
    are 16 with AVX-512 on cores with 512-bit datapaths, 8 with AVX2 (and with AVX-512 on AMD Zen 3/4,
    whose datapaths are 256 bits wide), 4 otherwise. The clock is /proc/cpuinfo's ``cpu MHz`` (the
    nominal clock a VM reports; turbo may be higher). Two FMA pipes is what x86 server cores since
    Haswell and Zen 2 have; this is an assumption, stated in the result.
    """
    info = cpuinfo()
    cores = usable_cores()
    flags = set(info.get("flags", "").split())
    ghz = float(info.get("cpu MHz", "0") or 0) / 1000
    amd_256 = cpu_vendor() == "AuthenticAMD" and info.get("cpu family") == "25"  # Zen 3/4
    if "avx512f" in flags and not amd_256:
        lanes, isa = 16, "AVX-512"
    elif "avx2" in flags or "avx512f" in flags:
        lanes, isa = 8, "AVX2 / 256-bit"
    else:
        lanes, isa = 4, "SSE"
    per_cycle = 2 * 2 * lanes
    gflops = cores * ghz * per_cycle
    return {
        "gflops": gflops,
        "cores": cores,
        "ghz": ghz,
        "flops_per_cycle": per_cycle,
        "cpu": info.get("model name", "unknown"),
        "how": f"{cores} cores x {ghz:.3f} GHz (/proc/cpuinfo cpu MHz) x {per_cycle} FP32 FLOP/cycle "
        f"(2 FMA pipes x {lanes} lanes, {isa}, x2 for multiply+add) = {gflops:.1f} GFLOP/s",
    }


def training_hardware() -> dict:
    """Where this process trains: ``{"device": "NVIDIA H100 80GB HBM3" or "2 CPU cores",
    "software": "Keras 3.15.1, JAX 0.11.2", "os": "Linux"}`` (stored in the checkpoint for the card)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        device = f"{len(gpus)} x {gpus[0].device_kind}" if len(gpus) > 1 else (gpus[0].device_kind if gpus else None)
        software = f"Keras {keras.__version__}, JAX {jax.__version__}"
    else:
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        device = f"{len(gpus)} GPU(s)" if gpus else None
        software = f"Keras {keras.__version__}, TensorFlow {tf.__version__}"
    return {"device": device or f"{os.cpu_count()} CPU cores", "software": software, "os": platform.system()}
