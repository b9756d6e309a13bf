"""An SVG chart as a PNG, for Word documents (docxtpl cannot embed SVG): laid out by WeasyPrint on a page
of the chart's own size and rasterised by pdfium, so the DOCX shows the same drawing as the PDF."""

from __future__ import annotations

import base64
import io
import re

import pypdfium2 as pdfium
from weasyprint import HTML

SIZE = re.compile(r'<svg[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')


def svg_png(uri: str, *, width_mm: float = 150, dpi: int = 200) -> bytes:
    """The PNG of an SVG data: URI (pipeline.reports.charts.svg_data_uri), width_mm wide at dpi."""
    svg = base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")
    found = SIZE.search(svg)
    ratio = float(found.group(2)) / float(found.group(1)) if found else 0.5
    height_mm = width_mm * ratio
    html = (f"<html><head><style>@page {{ size: {width_mm}mm {height_mm}mm; margin: 0 }} body {{ margin: 0 }}"
            f"img {{ display: block; width: {width_mm}mm; height: {height_mm}mm }}</style></head>"
            f'<body><img src="{uri}"></body></html>')
    pdf = pdfium.PdfDocument(HTML(string=html).write_pdf())
    try:
        image = pdf[0].render(scale=dpi / 72).to_pil()
    finally:
        pdf.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
