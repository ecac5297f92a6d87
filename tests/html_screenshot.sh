#!/usr/bin/env bash
# Renders the HTML report in headless Chromium and checks the screenshot.
#
#   tests/html_screenshot.sh [ERRSCOPE_BINARY] [OUT_DIR]
#
# Writes a week of synthetic logs for all five vendors (with an e-mail, a
# formula and markup in the messages), backfills daily reports with
# `errscope scan --report-dir`, renders them with `errscope report html`,
# and screenshots the page with Debian's `chromium` (CHROMIUM overrides it).
# Leaves OUT_DIR/{logs,reports,errors.html,out.png}; OUT_DIR defaults to
# target/html-screenshot. Exits non-zero when any step fails or the PNG is
# missing or trivially small. tests/report.rs runs it when chromium is on
# PATH and also checks the chart's colours in the PNG.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/target/debug/errscope}
out=${2:-$root/target/html-screenshot}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  echo "html_screenshot: chromium not found (apt-get install chromium)" >&2
  exit 3
fi
[ -x "$bin" ] || { echo "html_screenshot: no errscope binary at $bin (cargo build)" >&2; exit 3; }

rm -rf "$out/logs" "$out/reports" "$out/errors.html" "$out/out.png"
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)

ocrolus() { printf '{"status":400,"message":"%s","code":%s,"response":null}' "$2" "$1"; }
aplos() { printf '{"version":"v2_0_0","status":%s,"exception":{"message":"%s","code":%s}}' "$2" "$3" "$1"; }
oz() { printf '{"error_code":%s,"error_message":"%s","details":null}' "$1" "$2"; }
synapse() { printf '{"error":{"en":"%s"},"error_code":"%s","http_code":"%s","success":false}' "$3" "$1" "$2"; }
codat() { printf '{"statusCode":%s,"service":"PublicApi","error":"%s","correlationId":"52e6b438-f2a7-4269-a651-0c5ca6a3a450"}' "$1" "$2"; }

# Seven days; each vendor's volume varies by day so the stacks differ.
for day in 14 15 16 17 18 19 20; do
  log="$out/logs/app-2026-11-$day.log"
  : >"$log"
  emit() { # count time-of-day body
    local i
    for ((i = 0; i < $1; i++)); do
      printf '2026-11-%sT%s:%02d:%02dZ ERROR [vendor.client] call failed: %s\n' \
        "$day" "$2" $((i % 60)) $((i * 7 % 60)) "$3" >>"$log"
    done
  }
  emit $((20 + (day * 7) % 13)) 09 "$(ocrolus 1200 'Authentication failed for ops@example.com')"
  emit $((6 + (day * 5) % 9)) 10 "$(ocrolus 1204 'Invalid API key credentials')"
  emit $((10 + (day * 3) % 11)) 11 "$(aplos 1002 401 'Token could not be located.')"
  emit $((4 + day % 5)) 12 "$(oz 7 'AUTH INVALID')"
  emit $((8 + (day * 11) % 7)) 13 "$(synapse 400 409 '<script>alert(1)</script> not valid')"
  emit $((5 + (day * 2) % 6)) 14 "$(codat 402 'CompanyValidationException: Company limit exceeded')"
  emit $((1 + day % 3)) 15 "$(codat 400 '=HYPERLINK(\"http://evil.example\",\"click\"): bad request')"
done

"$bin" scan --no-progress --report-dir "$out/reports" "$out"/logs/*.log >/dev/null
"$bin" report html "$out/reports" -o "$out/errors.html"

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# New-style headless exits after the screenshot; the timeout guards a hang.
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
  --disable-background-networking --disable-component-update --disable-sync \
  --no-first-run --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$out/out.png" --window-size=1200,900 \
  "file://$out/errors.html" >"$out/chromium.log" 2>&1 || {
  echo "html_screenshot: chromium failed; its output:" >&2
  cat "$out/chromium.log" >&2
  exit 1
}

if [ ! -s "$out/out.png" ]; then
  echo "html_screenshot: no screenshot at $out/out.png" >&2
  exit 1
fi
magic=$(head -c 8 "$out/out.png" | od -An -tx1 | tr -d ' \n')
size=$(wc -c <"$out/out.png")
if [ "$magic" != 89504e470d0a1a0a ] || [ "$size" -lt 20000 ]; then
  echo "html_screenshot: $out/out.png is not a PNG or is near-empty ($size bytes)" >&2
  exit 1
fi
echo "html_screenshot: OK $out/out.png ($size bytes)"
