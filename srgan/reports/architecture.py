"""Descriptions of the real Keras models for the architecture page: computed, never typed.

:func:`describe` turns freshly built models into plain data. The dashboard reads that data from
``weights/architecture.json`` (written by ``python -m srgan.reports.architecture --write``; a test checks it
equals what the models give now), or computes it in a child process where the file is missing or
stale, so that its own process never loads TensorFlow (about 600 MB of memory).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from srgan.files import write_text_atomic
from srgan.paths import PROJECT_ROOT  # the child runs there, where `srgan` imports
from srgan.store import architecture_path, model_card


def layer_table(model) -> list[dict]:
    """One row per layer: name, type, output shape (batch and free spatial dims as None), parameters."""
    rows = []
    for layer in model.layers:
        out = getattr(layer, "output", None)
        shape = tuple(out.shape) if out is not None and hasattr(out, "shape") else ()
        rows.append(
            {
                "layer": layer.name,
                "type": layer.__class__.__name__,
                "output shape": str(shape).replace("None", "·"),
                "parameters": int(layer.count_params()),
            }
        )
    return rows


def generator_stages(model) -> list[dict]:
    """The generator grouped as the paper draws it: head, B residual blocks, body, upsampling, tail.

    Each stage: {"stage", "layers", "parameters", "repeat"} from the model's layer names.
    """
    groups: dict[str, dict] = {}
    order = []
    for layer in model.layers:
        name = layer.name
        if name == "lr":
            continue
        if m := re.match(r"block(\d+)_", name):
            key = "residual blocks"
        elif m := re.match(r"up(\d+)_", name):
            key = f"upsampling x2 ({m.group(1)})"
        elif name.startswith("head"):
            key = "head"
        elif name.startswith("body"):
            key = "body (conv, BN, long skip)"
        elif name.startswith("tail"):
            key = "tail"
        else:
            key = "global bicubic skip"
        if key not in groups:
            groups[key] = {"stage": key, "layers": [], "parameters": 0, "repeat": 0}
            order.append(key)
        groups[key]["layers"].append(layer.__class__.__name__)
        groups[key]["parameters"] += int(layer.count_params())
    blocks = {re.match(r"block(\d+)_", ly.name).group(1) for ly in model.layers if re.match(r"block\d+_", ly.name)}
    for key in order:
        groups[key]["repeat"] = len(blocks) if key == "residual blocks" else 1
        if key == "residual blocks" and blocks:  # describe one block
            groups[key]["layers"] = groups[key]["layers"][: len(groups[key]["layers"]) // len(blocks)]
    return [groups[k] for k in order]


# shorter names of Keras layer classes, for labels that must stay narrow
SHORT_LAYER_NAMES = {"BatchNormalization": "BatchNorm", "BicubicUpsample": "Bicubic"}


def short_layer_name(name: str) -> str:
    """``name`` of a Keras layer class, shortened where it is long (BatchNormalization: BatchNorm)."""
    return SHORT_LAYER_NAMES.get(name, name)


def stages_dot(stages: list[dict]) -> str:
    """Graphviz DOT of :func:`generator_stages`' stages, top to bottom: each stage's layers in full
    under short names, at most three to a line, and the bicubic skip beside the main column.

    Top to bottom so that the drawing stays readable in a narrow column: drawn left to right, its width
    is the sum of its nodes' and the text shrinks to fit a page.
    """
    lines = [
        "digraph G {",
        "rankdir=TB;",
        'node [shape=box, style="rounded,filled", fillcolor="#eef1ff", fontsize=14];',
        # the main path a straight column, the bicubic skip beside it
        "edge [fontsize=14]; nodesep=0.3; ranksep=0.3;",
        "node [group=main];",
        'lr [label="LR\\n(h, w, 3) in [0, 1]", fillcolor="#ffffff"];',
    ]
    prev = "lr"
    for i, s in enumerate(stages):
        if s["stage"] == "global bicubic skip":
            continue
        label = s["stage"] + (f" x{s['repeat']}" if s["repeat"] > 1 else "")
        names = [short_layer_name(ly) for ly in s["layers"]]
        body = " →\\n".join(" → ".join(names[j : j + 3]) for j in range(0, len(names), 3))
        lines.append(f'n{i} [label="{label}\\n{body}\\n{s["parameters"]:,} params"];')
        lines.append(f"{prev} -> n{i};")
        prev = f"n{i}"
    lines.append('sr [label="SR\\n(4h, 4w, 3) in [-1, 1]", fillcolor="#ffffff"];')
    if any(s["stage"] == "global bicubic skip" for s in stages):
        # "added" said in the node: an edge label "+" is a speck at page width
        lines.append(
            'bic [label="bicubic x4\\n(fixed, 0 params)\\nadded to the output", fillcolor="#fff5e0", group=skip];'
        )
        lines.append("lr -> bic [style=dashed]; bic -> sr [style=dashed];")
    lines.append(f"{prev} -> sr;")
    lines.append("}")
    return "\n".join(lines)


def describe(bicubic_skip: bool = True) -> dict:
    """Everything the architecture page shows, as JSON-able data, from freshly built models.

    {"generator": {"parameters", "stages", "dot", "layers"}, "discriminator": {"parameters", "layers"}};
    "dot" is :func:`stages_dot` of the stages, the drawing the page shows.
    """
    from srgan.model.models import build_discriminator, build_generator

    g, d = build_generator(bicubic_skip=bicubic_skip), build_discriminator()
    stages = generator_stages(g)
    return {
        "bicubic_skip": bicubic_skip,
        "generator": {
            "parameters": int(g.count_params()),
            "stages": stages,
            "dot": stages_dot(stages),
            "layers": layer_table(g),
        },
        "discriminator": {"parameters": int(d.count_params()), "layers": layer_table(d)},
    }


def load_description(bicubic_skip: bool = True) -> dict:
    """:func:`describe`'s data from ``weights/architecture.json`` if it was written for this
    ``bicubic_skip``, else computed in a child process."""
    path = architecture_path()
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved.get("bicubic_skip") == bicubic_skip:
            return saved
    return describe_in_subprocess(bicubic_skip)


def describe_in_subprocess(bicubic_skip: bool = True, timeout: float = 300) -> dict:
    """:func:`describe`, computed by ``python -m srgan.reports.architecture`` in a child process."""
    cmd = [sys.executable, "-m", "srgan.reports.architecture"] + (["--bicubic-skip"] if bicubic_skip else [])
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"describing the models failed: {res.stderr.strip()[-2000:]}")
    return json.loads(res.stdout)


if __name__ == "__main__":
    # python -m srgan.reports.architecture [--bicubic-skip]: print the description as JSON
    # python -m srgan.reports.architecture --write: write weights/architecture.json for the shipped models' setting
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "--write" in sys.argv[1:]:
        skip = (model_card("srresnet") or {}).get("architecture", {}).get("bicubic_skip", True)
        write_text_atomic(architecture_path(), json.dumps(describe(skip), indent=1) + "\n")
        print(f"wrote {architecture_path()}")
    else:
        print(json.dumps(describe(bicubic_skip="--bicubic-skip" in sys.argv[1:])))
