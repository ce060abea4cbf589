"""One description of the machine, for benchmark files and model cards: CPU, cores, the vector and
matrix features that choose fast paths, and the versions of the libraries that ran. Imports nothing heavy."""

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
