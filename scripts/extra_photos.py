"""Make an extra training folder of natural photographs from Debian's wallpaper packages (issue 20).

    python scripts/extra_photos.py [--out DIR] [--factor 2] [--check]

The 341 training images (T91, BSD200, General100 half) are small; these 2-6 Mpx photographs add more
natural texture. Each listed photo is read from its installed package (EXIF orientation applied, RGB),
reduced by an integer factor (default 2) with a box filter, which averages away the JPEG block
artefacts deterministically, and written as PNG to ``--out`` (default ``data_dir()/extra/debian_photos``)
with a MANIFEST.json: package and version, source path and SHA-256, output name, size and SHA-256, and
the licence that the package's DEP-5 copyright file gives for that file. The same packages, Pillow and
list give the same bytes; ``--check`` re-computes everything and compares it with the MANIFEST.

The photographs are research/training data only and are never committed: only the list below lives in
the repository, reviewed by eye (renders, abstract art, drawings, gradients and logos left out).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import PIL
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from srgan.files import sha256_file, write_bytes_atomic, write_text_atomic
from srgan.paths import data_dir

LIST_VERSION = 1  # bump whenever PHOTOS changes
_PL, _MATE = "plasma-workspace-wallpapers", "mate-backgrounds"
_L16, _L20 = "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04"
_PW = "wallpapers/{}/contents/images/2560x1600.jpg"  # plasma: the largest of the sizes shipped
# (package, path under /usr/share, what the photograph shows)
PHOTOS: tuple[tuple[str, str, str], ...] = (
    (_PL, _PW.format("BytheWater"), "wooden jetty boards at a lake, shallow depth of field"),
    (_PL, _PW.format("ColdRipple"), "jetty into a misty lake, black and white"),
    (_PL, _PW.format("ColorfulCups"), "rows of stacked plastic cups from above"),
    (_PL, _PW.format("EveningGlow"), "rowing boats on a lake shore at sunset"),
    (_PL, _PW.format("FallenLeaf"), "autumn maple leaf on the ground, bokeh"),
    (_PL, _PW.format("Grey"), "curved facade of a building, greyscale architecture"),
    (_PL, _PW.format("Kite"), "kite in a blue sky with clouds"),
    (_PL, _PW.format("OneStandsOut"), "moss from above, one orange sprig"),
    (_PL, _PW.format("Path"), "path through a spruce forest"),
    (_PL, _PW.format("summer_1am"), "still lake at dawn with reeds"),
    (_MATE, "backgrounds/mate/nature/Aqua.jpg", "water drop splash, macro"),
    (_MATE, "backgrounds/mate/nature/Blinds.jpg", "veins of a green leaf, backlit"),
    (_MATE, "backgrounds/mate/nature/Dune.jpg", "dune grass against the sea"),
    (_MATE, "backgrounds/mate/nature/FreshFlower.jpg", "orange flower petals, macro"),
    (_MATE, "backgrounds/mate/nature/Garden.jpg", "red marigold in a garden"),
    (_MATE, "backgrounds/mate/nature/GreenMeadow.jpg", "young grass blades"),
    (_MATE, "backgrounds/mate/nature/LadyBird.jpg", "ladybird on a stem among forget-me-nots"),
    (_MATE, "backgrounds/mate/nature/RainDrops.jpg", "raindrops on green leaves"),
    (_MATE, "backgrounds/mate/nature/Storm.jpg", "storm clouds over a road, motion blur"),
    (_MATE, "backgrounds/mate/nature/TwoWings.jpg", "two dandelion seeds before orange flowers"),
    (_MATE, "backgrounds/mate/nature/Wood.jpg", "grain of a weathered wooden plank"),
    (_MATE, "backgrounds/mate/nature/YellowFlower.jpg", "yellow flower head, macro"),
    (_L16, "backgrounds/Bridge_by_Sander_Klootwijk.jpg", "bridge cables over a tidal flat"),
    (_L16, "backgrounds/Dragonfly_by_Bolly.jpg", "dragonfly on a twig, leaves and sky"),
    (_L16, "backgrounds/Picture_0B_by_freespace.jpg", "halved fig in a red bowl on concrete"),
    (_L16, "backgrounds/Picture_1A_by_freespace.jpg", "paint brushes with coloured bristles"),
    (_L16, "backgrounds/Wine_by_Jakkub_Mede.jpg", "room with wine bottle, table and drum (portrait)"),
    (_L16, "backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg", "mountain ridge above autumn forest and meadow"),
    (_L16, "backgrounds/free_by_Peter_Nerlich.jpg", "wooden bird hanging under ceiling lamps"),
    (_L16, "backgrounds/friends_by_Aitzol_Berasategi.jpg", "two dogs at a wooden window (portrait)"),
    (_L16, "backgrounds/greentock_by_Peter_Nerlich.jpg", "wall clock seen from the side"),
    (_L16, "backgrounds/life_by_Aitzol_Berasategi.jpg", "stream over rocks in a forest"),
    (_L16, "backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg", "rocky peaks with snow over a meadow path"),
    (_L16, "backgrounds/seeding_by_Clements_Engelhardt.jpg", "dandelion clocks in a meadow, backlit"),
    (_L16, "backgrounds/sunset_by_Aitzol_Berasategi.jpg", "sunset over hills from a summit"),
    (_L20, "backgrounds/Kleiber_by_Lukas_Baubkus.jpg", "nuthatch on a tree trunk"),
)
PNG_OPTIONS = {"compress_level": 6}  # fixed settings; Pillow writes no timestamp chunk


class MissingPackage(Exception):
    """A package of the list is not installed (``args``: the package names)."""


def dpkg_version(package: str) -> str | None:
    """The installed version of a Debian package, or None when it is not installed."""
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True)
    except FileNotFoundError:  # no dpkg at all
        return None
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


def _stanzas(copyright_text: str) -> list[dict[str, str]]:
    """The DEP-5 paragraphs as {field (lower case): value}, continuation lines joined with newlines."""
    out = []
    for block in re.split(r"\n\s*\n", copyright_text):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        out.append(fields)
    return out


def licence_for(copyright_text: str, path: str) -> str:
    """The ``License:`` short name that a DEP-5 copyright file gives ``path`` ("unknown" if none).

    Patterns are source-tree paths while ``path`` is where the file is installed, so a pattern matches a
    trailing part of the path (``*`` and ``?`` as in DEP-5, ``*`` crossing folders); one whose folder is
    not in the installed path (lomiri's ``20.04/x.jpg`` installed as ``backgrounds/x.jpg``) matches by
    its file name, only where no pattern matches the path itself. The last stanza that matches wins;
    ``Files: *`` is the fallback.
    """
    parts = PurePosixPath(path).parts
    tails = ["/".join(parts[i:]) for i in range(len(parts))]
    by_path, by_name, fallback = None, None, "unknown"
    for st in _stanzas(copyright_text):
        if "files" not in st or "license" not in st:
            continue
        name = st["license"].split("\n")[0].strip() or "unknown"
        for pat in st["files"].split():
            pat_name = PurePosixPath(pat).name
            if pat == "*":
                fallback = name
            elif any(fnmatch.fnmatchcase(t, pat) for t in tails):
                by_path = name
            elif "/" in pat and not re.search(r"[*?]", pat_name) and pat_name == parts[-1]:
                by_name = name
    return by_path or by_name or fallback


def reduce_photo(img: Image.Image, factor: int) -> Image.Image:
    """``img`` upright (EXIF orientation) as uint8 HxWx3 RGB, reduced by the integer ``factor`` >= 2:
    each output pixel is the mean of a ``factor`` x ``factor`` box; the right/bottom remainder is cropped."""
    if factor < 2:
        raise ValueError(f"factor must be an integer >= 2, not {factor}")
    rgb = ImageOps.exif_transpose(img).convert("RGB")
    w, h = rgb.size
    return rgb.crop((0, 0, w - w % factor, h - h % factor)).reduce(factor)


def png_bytes(img: Image.Image) -> bytes:
    """PNG bytes of ``img`` (uint8 HxWx3 RGB) with fixed settings and no metadata: reproducible."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", **PNG_OPTIONS)
    return buf.getvalue()


def out_name(path: str) -> str:
    """The PNG name of a listed source: the plasma wallpaper's folder name, else the file's stem."""
    p = PurePosixPath(path)
    stem = p.parts[-4] if p.parent.name == "images" and p.parent.parent.name == "contents" else p.stem
    return re.sub(r"[^A-Za-z0-9_-]", "_", stem) + ".png"


def compute(
    factor: int = 2,
    photos: tuple[tuple[str, str, str], ...] = PHOTOS,
    root: Path = Path("/usr/share"),
    version_of: Callable[[str], str | None] | None = None,
) -> tuple[dict, dict[str, bytes]]:
    """The MANIFEST (dict) and {output name: PNG bytes} of ``photos`` (paths under ``root``).

    ``version_of(package)`` gives the installed version or None (default :func:`dpkg_version`).
    Raises :class:`MissingPackage` (all missing names) before reading any image."""
    version_of = version_of or dpkg_version
    versions = {pkg: version_of(pkg) for pkg in sorted({p[0] for p in photos})}
    if missing := [pkg for pkg, v in versions.items() if v is None]:
        raise MissingPackage(*missing)
    entries, files = [], {}
    for pkg, rel, desc in photos:
        src, name = root / rel, out_name(rel)
        if not src.is_file():
            raise FileNotFoundError(f"{src} is not in {pkg} {versions[pkg]} (the list expects it)")
        if name in files:
            raise ValueError(f"two listed photos give the output name {name}")
        copyright_file = root / "doc" / pkg / "copyright"
        with Image.open(src) as img:
            small = reduce_photo(img, factor)
        files[name] = data = png_bytes(small)
        entries.append(
            {
                "output": name,
                "description": desc,
                "package": pkg,
                "version": versions[pkg],
                "source": str(src),
                "source_sha256": sha256_file(src),
                "width": small.width,
                "height": small.height,
                "sha256": hashlib.sha256(data).hexdigest(),
                "licence": licence_for(copyright_file.read_text(encoding="utf-8"), rel),
                "copyright_file": str(copyright_file),
            }
        )
    manifest = {"list_version": LIST_VERSION, "factor": factor, "pillow": PIL.__version__, "images": entries}
    return manifest, files


def _manifest_text(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def build(out: Path, **kwargs) -> dict:
    """Write the PNGs and MANIFEST.json (last) to ``out``, each atomically; PNGs that an earlier
    MANIFEST there listed and this one does not are removed. Returns the manifest."""
    manifest, files = compute(**kwargs)
    old = out / "MANIFEST.json"
    stale = {e["output"] for e in json.loads(old.read_text())["images"]} - set(files) if old.is_file() else set()
    for name, data in files.items():
        write_bytes_atomic(out / name, data, overwrite=True)
    write_text_atomic(old, _manifest_text(manifest))
    for name in stale:
        (out / name).unlink(missing_ok=True)
    return manifest


def check(out: Path, **kwargs) -> list[str]:
    """Differences between a fresh computation and ``out`` (its MANIFEST.json and files); [] if none."""
    path = out / "MANIFEST.json"
    if not path.is_file():
        return [f"{path} is missing"]
    manifest, files = compute(**kwargs)
    diffs = [] if json.loads(path.read_text()) == manifest else [f"{path} differs from a fresh computation"]
    for name, data in files.items():
        if not (out / name).is_file() or sha256_file(out / name) != hashlib.sha256(data).hexdigest():
            diffs.append(f"{out / name} is missing or differs")
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="default: data_dir()/extra/debian_photos")
    ap.add_argument("--factor", type=int, default=2, help="integer downscale factor >= 2 (default 2)")
    ap.add_argument("--check", action="store_true", help="compare with the existing MANIFEST; exit 1 on a difference")
    args = ap.parse_args(argv)
    if args.factor < 2:
        ap.error("--factor must be >= 2")
    out = args.out or data_dir() / "extra" / "debian_photos"
    try:
        if args.check:
            diffs = check(out, factor=args.factor)
            print("\n".join(diffs) or f"{out}: matches its MANIFEST.json")
            return 1 if diffs else 0
        m = build(out, factor=args.factor)
    except MissingPackage as e:
        print(f"not installed: {' '.join(e.args)}; run: apt-get install -y --no-install-recommends {' '.join(e.args)}")
        return 2
    except FileNotFoundError as e:
        print(f"error: {e}")
        return 2
    px = sum(e["width"] * e["height"] for e in m["images"])
    print(f"{len(m['images'])} photos, {px / 1e6:.1f} Mpx, written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
