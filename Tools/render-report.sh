#!/usr/bin/env bash
# Opens an HTML report in headless Chromium (Debian's `chromium`), saves a screenshot and checks what the browser
# built from the page: the charts (inline SVG) and tables are there and no script ran.
#   Tools/render-report.sh [REPORT.html] [SCREENSHOT.png]
set -euo pipefail
html=${1:-Reports/report.html}
png=${2:-/tmp/kvreplay-report.png}
command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 2; }
[ -f "$html" ] || { echo "$html: no such file" >&2; exit 2; }
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,2400)
chromium "${flags[@]}" --screenshot="$png" "$url" 2>/dev/null
dom=$(chromium "${flags[@]}" --dump-dom "$url" 2>/dev/null)
svgs=$( (grep -o "<svg" <<<"$dom" || true) | wc -l)
tables=$( (grep -o "<table" <<<"$dom" || true) | wc -l)
scripts=$( (grep -o "<script" <<<"$dom" || true) | wc -l)
echo "$html: rendered; $svgs charts (svg), $tables tables, $scripts script elements; screenshot $png"
[ "$svgs" -gt 0 ] && [ "$tables" -gt 0 ] && [ "$scripts" -eq 0 ]
