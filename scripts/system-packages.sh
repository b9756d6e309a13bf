#!/usr/bin/env bash
# Debian packages the system needs (Pango for WeasyPrint, Noto CJK fonts, poppler, Tesseract
# with Simplified Chinese for OCR, Ghostscript for OCRmyPDF, PostgreSQL for the second test run,
# Chromium for the browser tests of the web interface, driven by Playwright).
set -euo pipefail
PACKAGES=(python3-venv fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
          poppler-utils tesseract-ocr tesseract-ocr-chi-sim ghostscript qpdf postgresql chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "缺少系统软件包：${missing[*]}。请以 root 运行，或执行：sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
