"""A before/after comparison that runs in the browser (issue 18): a wipe between any two panels, or all
panels side by side, with zoom and pan synchronised across them.

:func:`compare_html` builds one HTML document with its CSS and JavaScript inline; the images are URLs
on the app's own server (Streamlit's ``/media`` endpoint, see :func:`media_url`), or PNG data URLs
where there is no server to serve them: nothing comes from outside the app. :func:`show_compare`
puts it on the page. Dragging, zooming and panning then happen in the browser alone: no message goes
back to the server, so the page does not rerun. Test hooks: the root element has class
``srgan-compare`` and ``data-mode`` ("wipe" or "side"), ``data-wipe`` (0-1, the divider's place
across the view), ``data-zoom`` (1 = fit), ``data-pan-x`` / ``data-pan-y`` (the view's centre from
the image's centre, in fractions of its width and height); the divider has class ``srgan-divider``.

Longer than the project's ~300 lines on purpose: most of it is that one document's CSS and
JavaScript, which stays whole so that the view works without anything from outside the app.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from html import escape

import streamlit as st

from srgan.image_io import image_size


def _panel(label: str, png: bytes, index: int, url_for: Callable[[bytes, int], str] | None) -> tuple[str, int, int]:
    """(URL, width, height) of panel ``index``'s PNG: ``url_for(png, index)``, or a data URL without it."""
    if not isinstance(png, bytes):
        raise TypeError(f"panel {label!r}: expected PNG bytes, got {type(png).__name__}")
    try:
        w, h = image_size(png)
    except ValueError as e:
        raise ValueError(f"panel {label!r}: {e}") from None
    url = url_for(png, index) if url_for else "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return url, w, h


def compare_html(
    panels: Sequence[tuple[str, bytes]],
    *,
    left: str,
    right: str,
    notes: dict[str, str] | None = None,
    url_for: Callable[[bytes, int], str] | None = None,
) -> str:
    """The comparison's HTML document, opening in wipe mode with the divider in the middle.

    ``panels``: (label, PNG bytes) in display order, labels unique; the bytes are sent as they are
    (any mode and depth the browser shows: RGBA, grey, 16-bit...), each once. Every panel is drawn in
    the frame of the largest (by area), stretched to it with nearest-neighbour enlargement, so an LR of
    a quarter the size lines up with the others pixel for pixel; a checkerboard shows through
    transparency. ``left`` / ``right``: labels of the two panels the wipe starts with (the user may pick
    any two in the component); a single panel is shown alone, side by side. ``notes``: optional caption
    per label (e.g. "PSNR 31.2 dB"). ``url_for(png, index)``: where panel ``index``'s bytes are served
    from (e.g. :func:`media_url`); the URL must not need escaping. Without it they are embedded as data
    URLs. All text is escaped. ValueError for unknown or repeated labels, or bytes that are no image.
    """
    labels = [label for label, _ in panels]
    if not labels:
        raise ValueError("nothing to compare: no panels")
    single = len(labels) == 1  # shown alone, side by side mode only: a page may let a user pick one
    if len(set(labels)) != len(labels):
        raise ValueError(f"panel labels must be unique: {labels}")
    for name in (left, right):
        if name not in labels:
            raise ValueError(f"no panel labelled {name!r} (panels: {labels})")
    if left == right and not single:
        raise ValueError("left and right must be two different panels")
    notes = notes or {}
    if set(notes) - set(labels):
        raise ValueError(f"notes for unknown panels: {sorted(set(notes) - set(labels))}")
    encoded = [_panel(label, png, i, url_for) for i, (label, png) in enumerate(panels)]
    _, w, h = max(encoded, key=lambda e: e[1] * e[2])  # the frame: the largest panel
    esc = escape  # quotes too: labels also go into attributes
    frame = f'<div class="sc-frame" style="width:{w}px;height:{h}px">'

    figures, options = [], []
    for i, (label, (url, _, _)) in enumerate(zip(labels, encoded, strict=True)):
        figures.append(
            f'<figure class="sc-panel" data-i="{i}"><div class="sc-view">{frame}<img alt="{esc(label)}" '
            f'draggable="false" src="{url}"></div></div><figcaption><span class="sc-name">{esc(label)}'
            f'</span><span class="sc-note">{esc(str(notes.get(label) or ""))}</span></figcaption></figure>'
        )
        options.append(f'<option value="{i}">{esc(label)}</option>')
    opts = "".join(options)

    # the script fills in what follows the state (the chosen options, the tags, the wipe's images, the
    # pressed button, the divider's place) from the root's data-* attributes: one owner of each value
    def select(side: str) -> str:
        return f'<label class="sc-pick">{side.capitalize()} <select class="sc-{side}">{opts}</select></label>'

    def tag(side: str) -> str:
        return f'<div class="sc-tag sc-tag-{side}"><span class="sc-name"></span><span class="sc-note"></span></div>'

    def layer(side: str) -> str:  # the images are set by the script from the panels': each is sent once
        return f'<div class="sc-layer sc-layer-{side}">{frame}<img alt="" draggable="false"></div></div>'

    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{_CSS}</style></head><body>"
        f'<div class="srgan-compare{" sc-single" if single else ""}" tabindex="-1" data-w="{w}" data-h="{h}" '
        f'data-mode="{"side" if single else "wipe"}" data-wipe="0.5" data-zoom="1" data-pan-x="0" data-pan-y="0" '
        f'data-left="{labels.index(left)}" data-right="{labels.index(right)}">'
        '<div class="sc-bar">'
        '<div class="sc-seg" role="group" aria-label="View">'
        '<button type="button" class="sc-mode" data-mode="wipe">Wipe</button>'
        '<button type="button" class="sc-mode" data-mode="side">Side by side</button></div>'
        f"{select('left')}{select('right')}"
        '<div class="sc-zoombox">'
        '<button type="button" class="sc-btn sc-out" title="Zoom out (−)" aria-label="Zoom out">−</button>'
        '<span class="sc-zoom" aria-live="polite"></span>'
        '<button type="button" class="sc-btn sc-in" title="Zoom in (+)" aria-label="Zoom in">+</button>'
        '<button type="button" class="sc-btn sc-one" title="One image pixel per screen pixel">1:1</button>'
        '<button type="button" class="sc-btn sc-reset" title="Fit the whole image (double-click, 0)">Reset</button>'
        "</div>"
        '<span class="sc-hint">Wheel or pinch to zoom · drag to pan · double-click to reset</span>'
        "</div>"
        '<div class="sc-stage">'
        f'<div class="sc-wipe">{layer("r")}{layer("l")}'
        '<div class="sc-divider srgan-divider" tabindex="0" role="slider" aria-label="Divider" '
        'aria-valuemin="0" aria-valuemax="100"><div class="sc-knob"></div></div>'
        f"{tag('l')}{tag('r')}</div>"
        f'<div class="sc-grid">{"".join(figures)}</div>'
        "</div></div>"
        f"<script>{_JS}</script></body></html>"
    )


def media_url(png: bytes, slot: int = 0) -> str:
    """A URL for PNG bytes on the app's own server: Streamlit's media endpoint, which serves them to
    this session while the page shows them.

    The bytes are referenced, not copied, so no session's document holds megabytes of base64. The file
    id, hence the URL, is Streamlit's hash of the content: the same image gets the same URL on every
    rerun, so an unchanged comparison is the same document and its frame is not reloaded (see
    :func:`show_compare`). ``slot``: the panel's position, which :func:`compare_html` passes: where in
    this session the image is referenced (Streamlit keeps a file while the session's latest run refers
    to it). Relative to the page (``media/<id>.png``), so it resolves against the app's address however
    it is served; the frame is srcdoc, whose base URL is the page's.
    """
    from streamlit import runtime

    return runtime.get_instance().media_file_mgr.add(png, "image/png", f"srgan-compare-{slot}").lstrip("/")


def show_compare(html: str, *, height: int) -> None:
    """Put :func:`compare_html`'s document on the page, ``height`` CSS pixels tall and as wide as its
    container.

    st.iframe (srcdoc): a fresh document whose script runs each time it is mounted, with its CSS and
    script kept apart from the page's; no build step, and AppTest records it as an element without
    running it. st.components.v1.html is the same iframe but deprecated for st.iframe in 1.67;
    st.html(unsafe_allow_javascript=True) puts the markup into the page itself, where its styles and
    globals meet Streamlit's; st.components.v2 wants the markup, styles, script and data apart, and
    the images as component data. On a rerun an unchanged document (same text) leaves the frame as it
    is, not reloaded, so the view keeps its zoom and pan. The document is safe to frame as
    :func:`compare_html` escapes every label and note and carries no script but its own.
    """
    st.iframe(html, height=max(int(height), 200), alt="Before/after comparison: wipe, zoom and pan")


_CSS = """
*{box-sizing:border-box}
html,body{margin:0;height:100%;overflow:hidden;background:transparent}
body{font-family:"Source Sans Pro","Source Sans 3",-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;font-size:14px;color:#31333f}
.srgan-compare{display:flex;flex-direction:column;gap:8px;height:100vh;padding:1px;outline:none;
user-select:none;-webkit-user-select:none}
.sc-bar{display:flex;flex-wrap:wrap;align-items:center;gap:6px 12px;flex:none}
.sc-seg{display:inline-flex;border:1px solid #d5d8e0;border-radius:8px;overflow:hidden}
.sc-seg button{border:0;background:#fff;padding:4px 12px;font:inherit;color:inherit;cursor:pointer}
.sc-seg button+button{border-left:1px solid #d5d8e0}
.sc-seg button[aria-pressed=true]{background:#4a5de0;color:#fff}
.sc-seg button[aria-pressed=false]:hover{color:#4a5de0}
.sc-pick{display:inline-flex;align-items:center;gap:4px;color:#5c5f6e}
select{font:inherit;color:#31333f;border:1px solid #d5d8e0;border-radius:8px;padding:3px 6px;background:#fff;
max-width:16em;cursor:pointer}
.sc-zoombox{display:inline-flex;align-items:center;gap:4px}
.sc-btn{border:1px solid #d5d8e0;background:#fff;border-radius:8px;padding:3px 9px;min-width:30px;font:inherit;
color:inherit;cursor:pointer;line-height:1.3}
.sc-btn:hover,select:hover{border-color:#4a5de0;color:#4a5de0}
button:focus-visible,select:focus-visible{outline:2px solid #4a5de0;outline-offset:1px}
.sc-zoom{min-width:3.6em;text-align:center;font-variant-numeric:tabular-nums;font-weight:600}
.sc-hint{margin-left:auto;color:#808495;font-size:12.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
min-width:0;flex:0 1 auto}
.sc-stage{position:relative;flex:1 1 auto;min-height:0}
.sc-wipe,.sc-view{position:absolute;inset:0;overflow:hidden;border-radius:8px;background:#f0f2f6;
touch-action:none;cursor:grab}
.sc-view{position:relative;inset:auto;flex:1 1 auto;min-height:0}
.srgan-compare.sc-grabbing .sc-wipe,.srgan-compare.sc-grabbing .sc-view{cursor:grabbing}
.sc-layer{position:absolute;inset:0;overflow:hidden}
.sc-frame{position:absolute;left:0;top:0;transform-origin:0 0;background-color:#fff;
background-image:conic-gradient(#d3d6de 25%,#fff 0 50%,#d3d6de 0 75%,#fff 0)}
.sc-frame img{display:block;width:100%;height:100%;pointer-events:none;-webkit-user-drag:none}
.sc-frame img.sc-px{image-rendering:pixelated}
.sc-divider{position:absolute;top:0;bottom:0;width:24px;margin-left:-12px;cursor:ew-resize;z-index:3;
touch-action:none;outline:none}
.sc-divider::before{content:"";position:absolute;left:11px;top:0;bottom:0;width:2px;background:#fff;
box-shadow:0 0 0 1px rgba(0,0,0,.3)}
.sc-knob{position:absolute;top:50%;left:50%;width:30px;height:30px;margin:-15px 0 0 -15px;border-radius:50%;
background:#4a5de0;border:2px solid #fff;box-shadow:0 1px 4px rgba(0,0,0,.35)}
.sc-knob::before,.sc-knob::after{content:"";position:absolute;top:8px;border:5px solid transparent}
.sc-knob::before{left:1px;border-right:6px solid #fff}
.sc-knob::after{right:1px;border-left:6px solid #fff}
.sc-divider:focus-visible .sc-knob{box-shadow:0 0 0 3px rgba(74,93,224,.45),0 1px 4px rgba(0,0,0,.35)}
.sc-tag{position:absolute;top:8px;z-index:2;max-width:calc(50% - 24px);padding:3px 9px;border-radius:6px;
background:rgba(255,255,255,.9);box-shadow:0 1px 3px rgba(0,0,0,.18);pointer-events:none;line-height:1.3}
.sc-tag-l{left:8px}
.sc-tag-r{right:8px;text-align:right}
.sc-name{font-weight:600}
.sc-tag .sc-name,.sc-tag .sc-note{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sc-note{color:#5c5f6e;font-size:12.5px}
.sc-note:empty{display:none}
.sc-grid{position:absolute;inset:0;display:grid;gap:8px;
grid-template-columns:repeat(auto-fit,minmax(min(100%,220px),1fr));grid-auto-rows:minmax(0,1fr);
align-content:start}
.sc-panel{margin:0;display:flex;flex-direction:column;min-width:0;min-height:0}
.sc-panel figcaption{flex:none;padding:3px 2px 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
line-height:1.35}
.sc-panel .sc-note{margin-left:.5em}
.srgan-compare[data-mode=wipe] .sc-grid,.srgan-compare[data-mode=side] .sc-wipe,
.srgan-compare[data-mode=side] .sc-pick,.sc-single .sc-seg{display:none}
@media (max-width:700px){.sc-hint{display:none}}
"""

# Plain ES2017, no modules and no imports. All state lives here; the root's data-* attributes mirror it.
_JS = r"""
(function () {
  "use strict";
  const root = document.querySelector(".srgan-compare");
  const W = +root.dataset.w, H = +root.dataset.h;
  const $ = (sel, el) => (el || root).querySelector(sel);
  const panels = Array.from(root.querySelectorAll(".sc-panel"));
  const srcs = panels.map((p) => $("img", p).getAttribute("src"));
  const view = (el) => ({ el: el, frame: $(".sc-frame", el), img: $("img", el) });
  const sideViews = panels.map((p) => view($(".sc-view", p)));
  const wipeEl = $(".sc-wipe"), layerL = $(".sc-layer-l"), divider = $(".sc-divider");
  const wipeViews = [view($(".sc-layer-r")), view(layerL)];
  wipeViews.forEach((v) => { v.el = wipeEl; });  // both layers fill the wipe view: measure that
  const s = {
    mode: root.dataset.mode, wipe: +root.dataset.wipe, z: 1, cx: 0.5, cy: 0.5,
    L: +root.dataset.left, R: +root.dataset.right,
  };
  const views = () => (s.mode === "wipe" ? wipeViews : sideViews);
  const fit = (v) => Math.max(Math.min(v.el.clientWidth / W, v.el.clientHeight / H), 1e-6);
  // the deepest zoom: an output pixel 32 screen pixels wide, and never less than 16x the fit
  const zmax = () => Math.max(16, 32 / fit(views()[0]));
  const clamp = (x, a, b) => Math.min(Math.max(x, a), b);
  const fmt = (x) => String(Math.round(x * 10000) / 10000);

  function keepInside() {  // no panning past the image's edges; a dimension that fits is centred
    s.z = clamp(s.z, 1, zmax());
    const v = views()[0], k = fit(v) * s.z;
    const ex = v.el.clientWidth / (k * W), ey = v.el.clientHeight / (k * H);
    s.cx = ex >= 1 ? 0.5 : clamp(s.cx, ex / 2, 1 - ex / 2);
    s.cy = ey >= 1 ? 0.5 : clamp(s.cy, ey / 2, 1 - ey / 2);
  }

  function setLayerImages() {
    [[wipeViews[0], s.R], [wipeViews[1], s.L]].forEach(([v, i]) => {
      if (v.img.getAttribute("src") !== srcs[i]) v.img.src = srcs[i];
    });
    [["l", s.L], ["r", s.R]].forEach(([side, i]) => {
      const tag = $(".sc-tag-" + side);
      $(".sc-name", tag).textContent = $(".sc-name", panels[i]).textContent;
      $(".sc-note", tag).textContent = $(".sc-note", panels[i]).textContent;
    });
    $(".sc-left").value = String(s.L);
    $(".sc-right").value = String(s.R);
  }

  // side by side: the number of columns that shows the panels largest. It forces a layout, and only
  // the stage's size and the mode change its result: called on those alone, not on every paint
  function layoutGrid() {
    const g = $(".sc-grid"), n = panels.length, gap = 8;
    const cap = $("figcaption", panels[0]).offsetHeight;
    let best = n, most = 0;
    for (let c = 1; c <= n; c++) {
      const r = Math.ceil(n / c);
      const fit = Math.min((g.clientWidth - gap * (c - 1)) / c / W, ((g.clientHeight - gap * (r - 1)) / r - cap) / H);
      if (fit > most * 1.0001) { best = c; most = fit; }
    }
    // rows as tall as the images at that size, so captions sit right under them and no band is empty
    const rows = Math.ceil(n / best), cw = (g.clientWidth - gap * (best - 1)) / best;
    const rh = Math.min((g.clientHeight - gap * (rows - 1)) / rows, (cw * H) / W + cap);
    g.style.gridTemplateColumns = "repeat(" + best + ",minmax(0,1fr))";
    g.style.gridTemplateRows = "repeat(" + rows + "," + Math.max(Math.floor(rh), 40) + "px)";
  }

  let queued = false;
  function paint() {
    queued = false;
    root.dataset.mode = s.mode;
    for (const v of views()) {
      const vw = v.el.clientWidth, vh = v.el.clientHeight, k = fit(v) * s.z;
      const tx = vw / 2 - s.cx * W * k, ty = vh / 2 - s.cy * H * k;
      v.frame.style.transform = "translate(" + tx + "px," + ty + "px) scale(" + k + ")";
      v.frame.style.backgroundSize = 16 / k + "px " + 16 / k + "px";  // checks of 16 screen px at any zoom
      // crisp (nearest) where an image pixel covers a screen pixel or more; smooth where it is shrunk
      const nat = v.img.naturalWidth || W;
      v.img.classList.toggle("sc-px", (k * W) / nat >= 1);
    }
    layerL.style.clipPath = "inset(0 " + (100 - s.wipe * 100) + "% 0 0)";
    divider.style.left = s.wipe * 100 + "%";
    divider.setAttribute("aria-valuenow", String(Math.round(s.wipe * 100)));
    const z = s.z, label = z < 9.95 ? String(Math.round(z * 10) / 10) : String(Math.round(z));
    $(".sc-zoom").textContent = label + "×";
    const px = fit(views()[0]) * z;
    $(".sc-zoom").title = "1 output pixel = " + (Math.round(px * 100) / 100) + " screen pixels";
    root.querySelectorAll(".sc-mode").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mode === s.mode)));
    const d = root.dataset;
    d.wipe = fmt(s.wipe); d.zoom = fmt(s.z);
    d.panX = fmt(s.cx - 0.5); d.panY = fmt(s.cy - 0.5); d.left = String(s.L); d.right = String(s.R);
  }
  function update() {
    keepInside();
    if (!queued) { queued = true; requestAnimationFrame(paint); }
  }

  function zoomAt(v, mx, my, z) {  // keep the scene point under (mx, my) of view v where it is
    const vw = v.el.clientWidth, vh = v.el.clientHeight, k = fit(v) * s.z;
    const fx = s.cx + (mx - vw / 2) / (k * W), fy = s.cy + (my - vh / 2) / (k * H);
    s.z = clamp(z, 1, zmax());
    const k2 = fit(v) * s.z;
    s.cx = fx - (mx - vw / 2) / (k2 * W);
    s.cy = fy - (my - vh / 2) / (k2 * H);
    update();
  }
  const zoomCentre = (z) => { const v = views()[0]; zoomAt(v, v.el.clientWidth / 2, v.el.clientHeight / 2, z); };
  const step = (dir) => {  // buttons go by powers of two: 1, 2, 4, 8, 16...
    const e = Math.log2(s.z);
    zoomCentre(2 ** (dir > 0 ? Math.floor(e + 1e-6) + 1 : Math.ceil(e - 1e-6) - 1));
  };
  function reset() { s.z = 1; s.cx = 0.5; s.cy = 0.5; update(); }

  // pointers: one drags the divider or pans; two pinch-zoom about their midpoint
  const pointers = new Map();
  let drag = null;  // {kind: "divider" | "pan", v: view}
  let pinch = null;  // {d: distance, mx, my}
  const viewOf = (el) => (s.mode === "wipe" ? wipeViews[0] : sideViews.find((v) => v.el === el));
  const local = (v, e) => { const r = v.el.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  function pinchState() {
    const [a, b] = Array.from(pointers.values());
    return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }
  function down(e) {
    if (e.button !== undefined && e.button > 0) return;
    const v = viewOf(e.currentTarget);
    if (!v) return;
    e.preventDefault();
    try { e.currentTarget.setPointerCapture(e.pointerId); } catch (err) { /* synthetic: nothing to capture */ }
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) {
      drag = { kind: "pinch", v: v };
      pinch = pinchState();
    } else if (pointers.size === 1) {
      const onDivider = s.mode === "wipe" && divider.contains(e.target);
      drag = { kind: onDivider ? "divider" : "pan", v: v };
      if (onDivider) divider.focus({ preventScroll: true }); else root.focus({ preventScroll: true });
      if (onDivider) move(e);
      root.classList.toggle("sc-grabbing", !onDivider);
    }
  }
  function move(e) {
    if (!drag || !pointers.has(e.pointerId)) return;
    const last = pointers.get(e.pointerId);
    const dx = e.clientX - last.x, dy = e.clientY - last.y;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const v = drag.v, k = fit(v) * s.z;
    if (drag.kind === "divider") {
      const r = v.el.getBoundingClientRect();
      s.wipe = clamp((e.clientX - r.left) / r.width, 0, 1);
      update();
    } else if (drag.kind === "pan") {
      s.cx -= dx / (k * W);
      s.cy -= dy / (k * H);
      update();
    } else if (pointers.size === 2) {
      const p = pinchState(), r = v.el.getBoundingClientRect();
      s.cx -= (p.x - pinch.x) / (k * W);
      s.cy -= (p.y - pinch.y) / (k * H);
      if (pinch.d > 0) zoomAt(v, p.x - r.left, p.y - r.top, (s.z * p.d) / pinch.d); else update();
      pinch = p;
    }
  }
  function up(e) {
    pointers.delete(e.pointerId);
    if (pointers.size === 0) { drag = null; pinch = null; root.classList.remove("sc-grabbing"); }
    else if (pointers.size === 1 && drag) drag.kind = "pan";  // one finger lifted: go on panning
  }
  function wheel(e) {
    const v = viewOf(e.currentTarget);
    if (!v) return;
    const unit = e.deltaMode === 1 ? 40 : e.deltaMode === 2 ? 800 : 1;  // lines, pages -> pixels
    const z = clamp(s.z * Math.exp((-e.deltaY * unit) / 400), 1, zmax());
    if (z === s.z) return;  // out at 1x, in at the deepest, or sideways: the page scrolls instead
    e.preventDefault();
    const [mx, my] = local(v, e);
    zoomAt(v, mx, my, z);
  }
  function dblclick(e) {
    if (s.mode === "wipe" && divider.contains(e.target)) { s.wipe = 0.5; update(); } else reset();
  }
  [wipeEl, ...sideViews.map((v) => v.el)].forEach((el) => {
    el.addEventListener("pointerdown", down);
    el.addEventListener("pointermove", move);
    el.addEventListener("pointerup", up);
    el.addEventListener("pointercancel", up);
    el.addEventListener("wheel", wheel, { passive: false });
    el.addEventListener("dblclick", dblclick);
  });

  // a modifier means the browser's or the system's shortcut (Ctrl/Cmd +/-/0 zoom the page, Alt+Left goes back)
  const modified = (e) => e.ctrlKey || e.metaKey || e.altKey;
  divider.addEventListener("keydown", (e) => {
    if (modified(e)) return;
    const d = e.shiftKey ? 0.1 : 0.01;
    const to = { ArrowLeft: s.wipe - d, ArrowRight: s.wipe + d, Home: 0, End: 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    e.stopPropagation();
    s.wipe = clamp(to, 0, 1);
    update();
  });
  root.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT" || modified(e)) return;
    const v = views()[0], k = fit(v) * s.z, d = 0.1;
    const pan = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, -d], ArrowDown: [0, d] }[e.key];
    if (e.key === "+" || e.key === "=") step(1);
    else if (e.key === "-" || e.key === "_") step(-1);
    else if (e.key === "0") reset();
    else if (pan) {
      s.cx += (pan[0] * v.el.clientWidth) / (k * W);
      s.cy += (pan[1] * v.el.clientHeight) / (k * H);
      update();
    } else return;
    e.preventDefault();
  });

  $(".sc-in").addEventListener("click", () => step(1));
  $(".sc-out").addEventListener("click", () => step(-1));
  $(".sc-reset").addEventListener("click", reset);
  $(".sc-one").addEventListener("click", () => zoomCentre(1 / fit(views()[0])));
  root.querySelectorAll(".sc-mode").forEach((b) => b.addEventListener("click", () => {
    s.mode = root.dataset.mode = b.dataset.mode;  // the attribute shows the views: before measuring them
    if (s.mode === "side") layoutGrid();
    update();
  }));
  function pick(side, e) {
    const i = +e.target.value, other = side === "L" ? "R" : "L";
    if (i === s[other]) s[other] = s[side];  // the same panel on both sides: swap them
    s[side] = i;
    setLayerImages();
    update();
  }
  $(".sc-left").addEventListener("change", (e) => pick("L", e));
  $(".sc-right").addEventListener("change", (e) => pick("R", e));
  root.querySelectorAll("img").forEach((img) => img.addEventListener("load", update));
  // painted here, not in the next frame: a resize shows no frame of the old layout. Its first call, once
  // the stage is laid out, is the first paint
  new ResizeObserver(() => {
    if (s.mode === "side") layoutGrid();
    keepInside();
    paint();
  }).observe($(".sc-stage"));

  setLayerImages();
})();
"""
