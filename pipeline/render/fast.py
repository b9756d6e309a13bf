"""Which render fast paths may run: layout reuse (pipeline.render.reuse), direct redraw
(pipeline.render.retext) and font compaction (pipeline.render.fonts).

Reuse and redraw lean on WeasyPrint internals (layout boxes, drawing functions), so they are optional:
- imported only here, guarded: an ImportError/AttributeError (an internal renamed) turns them off;
- version-gated: on a WeasyPrint other than the tested series they are off, with one warning;
- the environment switch STATION_RENDER_FAST turns them off ("0"), or on even on an untested
  WeasyPrint ("1", for the CI job that compares both); unset or "auto": on where tested.
  STATION_RENDER_RETEXT=0 keeps layout reuse but turns the direct redraw off (values document only).
Font compaction reads only the PDF WeasyPrint wrote (it checks each font's form before touching it)
and always runs under a fallback (see pipeline.render.html), so it is off only with STATION_RENDER_FAST=0.
The full layout never depends on anything here: forms are generated whatever this module decides.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

import weasyprint

log = logging.getLogger(__name__)
TESTED_WEASYPRINT = ("70.",)     # version prefixes the fast paths were checked against (pixel tests)
ENV = "STATION_RENDER_FAST"
RETEXT_ENV = "STATION_RENDER_RETEXT"     # "0": layout reuse without the direct redraw
_warned: set[str] = set()
_modules: dict[str, ModuleType | None] = {}


def warn_once(code: str, detail: str, *args, key: str | None = None) -> None:
    """Log a warning with an English code once per process (per key, if given)."""
    if (key or code) not in _warned:
        _warned.add(key or code)
        log.warning(f"{code}: {detail}", *args)


def _mode() -> str:
    value = os.environ.get(ENV, "auto").strip().lower()
    return {"0": "off", "false": "off", "no": "off", "off": "off",
            "1": "on", "true": "on", "yes": "on", "on": "on"}.get(value, "auto")


def compaction_enabled() -> bool:
    """True unless STATION_RENDER_FAST=0."""
    return _mode() != "off"


def weasyprint_tested() -> bool:
    """Whether the installed WeasyPrint is of a tested series."""
    return str(weasyprint.__version__).startswith(TESTED_WEASYPRINT)


def layout_modules() -> tuple[ModuleType, ModuleType | None] | None:
    """(reuse, retext or None) when layout reuse may run, else None (with one warning saying why)."""
    mode = _mode()
    if mode == "off":
        return None
    if mode == "auto" and not weasyprint_tested():
        warn_once("render_fast_paths_off", "WeasyPrint %s is not a tested version (tested: %s); "
                  "every form laid out in full", weasyprint.__version__, ", ".join(v + "x" for v in TESTED_WEASYPRINT))
        return None
    reuse = _guarded_import("pipeline.render.reuse")
    if reuse is None:
        return None
    if os.environ.get(RETEXT_ENV, "1").strip() == "0":
        return reuse, None         # the values document only (bench/forms.py --compare-retext)
    return reuse, _guarded_import("pipeline.render.retext")


def _guarded_import(name: str) -> ModuleType | None:
    """The module, or None (logged once) when importing it fails on a WeasyPrint internal."""
    if name not in _modules:
        try:
            _modules[name] = importlib.import_module(name)
        except (ImportError, AttributeError) as exc:
            _modules[name] = None
            warn_once("render_fast_path_unavailable", "cannot import %s (%r): that fast path is off",
                      name, exc, key=name)
    return _modules[name]


def reset() -> None:
    """Forget imports and warnings (tests that simulate another WeasyPrint)."""
    _warned.clear()
    _modules.clear()
