"""Shrink the CJK fonts WeasyPrint embeds so that a one-page form is tens of KB, not ~450 KB.

WeasyPrint subsets with "retain glyph IDs": the content streams show glyph IDs as CIDs, so the
embedded CFF keeps an empty slot for every glyph ID up to the largest used — for Noto CJK about
60 000 slots, ~150 KB per font whatever the text. compact_fonts() subsets each embedded OpenType/CFF
font again with HarfBuzz (uharfbuzz) WITHOUT retaining IDs and renumbers the glyph IDs (HarfBuzz's own old → new
map) in the content streams (hex strings of Tj/TJ), the /W widths and the ToUnicode map to match.
Costs about 1–3 ms per font per file. A font it cannot handle safely (e.g. shown with a literal
string) is left as it was.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pikepdf

_FLAGS = ("NO_HINTING", "DESUBROUTINIZE", "NOTDEF_OUTLINE")   # glyph IDs NOT retained
_TEXT_TOKENS = re.compile(rb"""/([^\s/\[\]<>()%]+)\s+[-+\d.]+\s+Tf            # 1: font selection
    |\[((?:[^\]()]|\((?:\\.|[^\\)])*\))*)\]\s*TJ                  # 2: TJ array
    |<([0-9A-Fa-f\s]*)>\s*Tj                                          # 3: hex string shown with Tj
    |\((?:\\.|[^\\)])*\)                                              # a literal string anywhere
    """, re.X)
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_BT_ET = re.compile(rb"\bBT\b.*?\bET\b", re.S)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{1,4})>\s*<([0-9A-Fa-f]*)>")
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _harfbuzz():
    """uharfbuzz when it has the subset-plan API this module needs (old → new glyph map), else None
    (logged once): fonts are then left as WeasyPrint embedded them."""
    try:
        import uharfbuzz as hb  # a wheel with its own HarfBuzz: no dependence on the system's symbols

        for name in ("Blob", "Face", "SubsetInput", "SubsetPlan", "SubsetFlags"):
            getattr(hb, name)
        for name in ("old_to_new_glyph_mapping", "execute"):
            getattr(hb.SubsetPlan, name)
        for name in _FLAGS:
            getattr(hb.SubsetFlags, name)
    except (ImportError, AttributeError) as exc:
        log.warning("font_compaction_off: HarfBuzz subset-plan API unavailable (%r); fonts kept as embedded",
                    exc)
        return None
    return hb


def subset_font(data: bytes, gids: list[int]) -> tuple[bytes, dict[int, int]] | None:
    """data (OpenType) reduced to gids (renumbered, IDs not retained) and the old → new glyph ID map."""
    hb = _harfbuzz()
    if hb is None:
        return None
    face = hb.Face(hb.Blob(data))
    request = hb.SubsetInput()
    request.glyph_set.update(gids)
    flags = 0
    for name in _FLAGS:
        flags |= getattr(hb.SubsetFlags, name)
    request.flags = hb.SubsetFlags(flags)
    try:
        plan = hb.SubsetPlan(face, request)
    except Exception:            # uharfbuzz raises when HarfBuzz cannot plan the subset
        return None
    table = plan.old_to_new_glyph_mapping
    mapping = {gid: table.get(gid) for gid in gids}
    subset = plan.execute()
    result = bytes(subset.blob.data) if subset is not None else b""
    if not result or any(new is None or new >= 0xFFFF for new in mapping.values()):
        return None
    return result, mapping


def glyph_count(data: bytes) -> int | None:
    """The number of glyphs of an OpenType font program, or None without HarfBuzz."""
    hb = _harfbuzz()
    if hb is None:
        return None
    return hb.Face(hb.Blob(data)).glyph_count


def _streams(resources: pikepdf.Object, seen: set) -> list[tuple[pikepdf.Object, pikepdf.Object]]:
    """(content stream owner, its resources) of every Form XObject reachable from resources."""
    found = []
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            inner = xobject.get("/Resources") or pikepdf.Dictionary()
            found.append((xobject, inner))
            found += _streams(inner, seen)
    return found


def _page_bytes(page: pikepdf.Page) -> bytes:
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


def _gids(digits: bytes) -> list[bytes]:
    digits = re.sub(rb"\s", b"", digits).lower()
    return [digits[i:i + 4] for i in range(0, len(digits) - 3, 4)]


def _shown(data: bytes) -> dict[str, set[int] | None]:
    """Font resource name → the glyph IDs a content stream shows with it (None: shown with a literal
    string, which cannot be renumbered safely)."""
    shown: dict[str, set[int] | None] = {}
    for block in _BT_ET.finditer(data):
        current = None
        for token in _TEXT_TOKENS.finditer(block.group(0)):
            if token.group(1) is not None:
                current = "/" + token.group(1).decode("latin-1")
                continue
            if current is None or shown.get(current, ()) is None:
                continue
            text = token.group(2) if token.group(2) is not None else token.group(3)
            if text is None or b"(" in text:
                shown[current] = None
                continue
            hexes = _HEX.findall(text) if token.group(2) is not None else [text]
            shown.setdefault(current, set()).update(int(g, 16) for h in hexes for g in _gids(h))
    return shown


def _scan(data: bytes, fonts: dict, used: dict, cache: FontCache | None) -> None:
    """Add the glyph IDs shown with each font of fonts (resource name → font) to used[objgen]. The
    parts of one PDF share content (a reused layout's skeleton): cache holds what each stream shows."""
    key = hashlib.blake2b(data, digest_size=16).digest()
    shown = cache.shown.get(key) if cache is not None else None
    if shown is None:
        shown = _shown(data)
        if cache is not None:
            cache.shown[key] = shown
    for name, gids in shown.items():
        font = fonts.get(name)
        if font is None or used.get(font.objgen, ()) is None:
            continue
        if gids is None:
            used[font.objgen] = None
        else:
            used.setdefault(font.objgen, set()).update(gids)


def _rewrite(data: bytes, fonts: dict, maps: dict) -> bytes:
    """data with the glyph IDs of the fonts in maps (objgen → old→new) renumbered."""
    hexmaps = {objgen: {b"%04x" % old: b"%04x" % new for old, new in mapping.items()}
               for objgen, mapping in maps.items()}

    def block(match: re.Match) -> bytes:
        current = None

        def renumber(found: re.Match) -> bytes:
            return b"<" + b"".join(current[g] for g in _gids(found.group(1))) + b">"

        def token(found: re.Match) -> bytes:
            nonlocal current
            if found.group(1) is not None:
                font = fonts.get("/" + found.group(1).decode("latin-1"))
                current = hexmaps.get(font.objgen) if font is not None else None
            elif current is not None and (found.group(2) is not None or found.group(3) is not None):
                return _HEX.sub(renumber, found.group(0))
            return found.group(0)
        return _TEXT_TOKENS.sub(token, match.group(0))
    return _BT_ET.sub(block, data)


def _compactable(font: pikepdf.Object) -> pikepdf.Object | None:
    """The descendant CIDFontType0 of a Type0 font embedded as OpenType/CFF (FontFile3), else None."""
    if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
        return None
    descendant = font.DescendantFonts[0]
    descriptor = descendant.get("/FontDescriptor")
    if descendant.get("/Subtype") != "/CIDFontType0" or descriptor is None:
        return None
    program = descriptor.get("/FontFile3")
    return descendant if program is not None and program.get("/Subtype") == "/OpenType" else None


def _widths(array: pikepdf.Array) -> dict[int, float]:
    items, widths, i = list(array), {}, 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for k, width in enumerate(items[i + 1]):
                widths[first + k] = float(width)
            i += 2
        else:
            for gid in range(first, int(items[i + 1]) + 1):
                widths[gid] = float(items[i + 2])
            i += 3
    return widths


@dataclass
class _FontFacts:
    """What compaction needs of one embedded font, read once per chunk (see FontCache)."""

    program: bytes
    widths: dict[int, float]
    default_width: float
    unicode: dict[int, bytes]
    glyphs: int | None = None          # glyphs in program (a compacted font: every one is used)


class FontCache(dict):
    """(BaseFont name, digest of the embedded program as stored) → _FontFacts, for compacting many parts
    split from one PDF; also what each content stream shows. The name alone is not enough: documents laid
    out apart embed different subsets of one font under one name (e.g. "TSPJMR+Noto-Sans-CJK-SC"), and a
    font's facts taken for another's drew other characters (the render check found it on the archive
    catalogue, whose instances are laid out one document each). retag_duplicates renames them as well,
    for PDF readers."""

    def __init__(self):
        super().__init__()
        self.shown: dict[bytes, dict[str, set[int] | None]] = {}
        self.compact = True      # False once the chunk's own compaction was dropped (pipeline.render.html)


def _facts(font: pikepdf.Object, descendant: pikepdf.Object, cache: FontCache | None) -> _FontFacts:
    program = descendant.FontDescriptor.FontFile3
    key = (str(font.get("/BaseFont", "")), hashlib.blake2b(program.read_raw_bytes(), digest_size=16).digest())
    if cache is not None and key in cache:
        return cache[key]
    unicode = {}
    if "/ToUnicode" in font:
        unicode = {int(gid, 16): text for gid, text in _BFCHAR.findall(font.ToUnicode.read_bytes())}
    facts = _FontFacts(program.read_bytes(),
                       _widths(descendant.W) if "/W" in descendant else {},
                       float(descendant.get("/DW", 1000)), unicode)
    if cache is not None:
        cache[key] = facts
    return facts


def _renumber_font(pdf: pikepdf.Pdf, font: pikepdf.Object, descendant: pikepdf.Object,
                   gids: list[int], cache: FontCache | None) -> tuple[dict[int, int], Callable[[], None]] | None:
    """(old → new map, a function that replaces font's program, widths and ToUnicode map by the
    renumbered subset), or None. Nothing in pdf changes until the function is called."""
    facts = _facts(font, descendant, cache)
    if facts.glyphs is None:
        facts.glyphs = glyph_count(facts.program)
    if facts.glyphs == len(gids) and gids == list(range(len(gids))):
        return None                      # every glyph shown: the subset would be the font itself
    done = subset_font(facts.program, gids)
    if done is None:
        return None
    data, mapping = done
    widths = [facts.default_width] * (max(mapping.values()) + 1)
    for gid, new in mapping.items():
        widths[new] = facts.widths.get(gid, facts.default_width)
    cmap = _to_unicode_cmap(sorted((new, facts.unicode[gid]) for gid, new in mapping.items() if gid in facts.unicode))

    def apply() -> None:
        descriptor = descendant.FontDescriptor
        descriptor.FontFile3 = pikepdf.Stream(pdf, data, Subtype=pikepdf.Name.OpenType)
        if "/CIDSet" in descriptor:
            del descriptor["/CIDSet"]
        if "/W" in descendant:
            descendant.W = pikepdf.Array([0, pikepdf.Array(widths)])
        if "/ToUnicode" in font:
            font.ToUnicode = pikepdf.Stream(pdf, cmap)
    return mapping, apply


def _to_unicode_cmap(pairs: list[tuple[int, bytes]]) -> bytes:
    """A ToUnicode CMap (Identity, 2-byte codes) for (glyph ID, UTF-16BE hex) pairs."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    for start in range(0, len(pairs), 100):
        batch = pairs[start:start + 100]
        lines.append(b"%d beginbfchar" % len(batch))
        lines += [b"<%04x> <%s>" % (gid, text) for gid, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _all_fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """Every font dictionary used by a page of pdf or by a Form XObject they show (each once)."""
    seen, fonts = set(), {}
    for page in pdf.pages:
        resources = page.obj.get("/Resources") or pikepdf.Dictionary()
        for _, inner in [(page, resources), *_streams(resources, seen)]:
            for font in (inner.get("/Font") or {}).values():
                fonts.setdefault(font.objgen, font)
    return list(fonts.values())


def retag_duplicates(pdf: pikepdf.Pdf) -> None:
    """Give every embedded font of pdf its own BaseFont. Pages combined from several WeasyPrint
    documents carry different subsets of one font under one name (WeasyPrint derives the six-letter
    subset tag from the font, not from the glyphs kept); FontCache and PDF readers tell fonts apart by
    that name, so each later one gets a fresh tag."""
    names: set[str] = set()
    for font in _all_fonts(pdf):
        name = str(font.get("/BaseFont", ""))[1:]
        if name not in names:
            names.add(name)
            continue
        family = name.split("+", 1)[-1]
        number = len(names)
        while True:
            tag = "".join(chr(ord("A") + (number // 26 ** k) % 26) for k in range(6))
            if f"{tag}+{family}" not in names:
                break
            number += 1
        renamed = pikepdf.Name(f"/{tag}+{family}")
        names.add(str(renamed)[1:])
        font.BaseFont = renamed
        for descendant in font.get("/DescendantFonts") or []:
            descendant.BaseFont = renamed
            if "/FontDescriptor" in descendant:
                descendant.FontDescriptor.FontName = renamed
        if "/FontDescriptor" in font:
            font.FontDescriptor.FontName = renamed


def compact_fonts(pdf: pikepdf.Pdf, cache: FontCache | None = None) -> None:
    """Subset every CJK CFF font of pdf to the glyphs its pages show, renumbering them (in place).

    Every subset and rewritten stream is made first and pdf changed only then: an exception leaves pdf
    as it was. Pass one FontCache to the calls for the parts of one document: each font is then read once."""
    owners = []                                  # (stream owner or page, resources)
    seen: set = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources") or pikepdf.Dictionary()
        owners.append((page, resources))
        owners += _streams(resources, seen)
    fonts_by_owner, used, targets = [], {}, {}
    for owner, resources in owners:
        fonts = {str(name): font for name, font in (resources.get("/Font") or {}).items()}
        for font in fonts.values():
            descendant = _compactable(font)
            if descendant is not None:
                targets[font.objgen] = (font, descendant)
        data = _page_bytes(owner) if isinstance(owner, pikepdf.Page) else owner.read_bytes()
        _scan(data, fonts, used, cache)
        fonts_by_owner.append((owner, fonts, data))
    maps, changes = {}, []
    for objgen, (font, descendant) in targets.items():
        gids = used.get(objgen, set())
        if gids is None or not gids:
            continue
        done = _renumber_font(pdf, font, descendant, sorted(gids | {0}), cache)
        if done is not None:
            maps[objgen], apply = done
            changes.append(apply)
    if not maps:
        return
    streams = [(owner, _rewrite(data, fonts, maps)) for owner, fonts, data in fonts_by_owner
               if any(font.objgen in maps for font in fonts.values())]
    for apply in changes:
        apply()
    for owner, rewritten in streams:
        if isinstance(owner, pikepdf.Page):
            owner.obj.Contents = pikepdf.Stream(pdf, rewritten)
        else:
            owner.write(rewritten)
