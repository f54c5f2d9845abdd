#!/usr/bin/env bash
# check-html.sh — open an srbench report.html in headless Chromium, check that
# it loads without a network request or a console error, that at phone width
# (390 px) nothing makes the page wider than the screen, and take a desktop
# and a phone screenshot.
#
#   scripts/check-html.sh [REPORT.html | RUN_DIR]
#
# With no argument it renders the report package's test fixture
# (harness/report/testdata/run) into a temporary directory. A RUN_DIR without
# report.html is rendered first. Screenshots and logs go to $OUT (default: a
# new temporary directory), printed at the end. Installs Debian's chromium
# when it is missing (apt-get; root or sudo). Exit status 0: the page is
# clean; 1: a check failed; 2: usage or setup error.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
GO="${GO:-go}"
out="${OUT:-$(mktemp -d -t srbench-html.XXXXXX)}"
mkdir -p "$out"

die() { echo "check-html: $*" >&2; exit 2; }

# --- the page ---------------------------------------------------------------
target="${1:-}"
if [[ -z "$target" ]]; then
  target="$out/run"
  mkdir -p "$target"
  rm -f "$target/report.html"
  cp "$here/harness/report/testdata/run/results.json" "$here/harness/report/testdata/run/samples.jsonl" "$target/"
fi
if [[ -d "$target" ]]; then
  if [[ ! -f "$target/report.html" ]]; then
    (cd "$here" && "$GO" run ./harness/report/testdata/render "$(cd "$target" && pwd)") || die "could not render $target"
  fi
  target="$target/report.html"
fi
[[ -f "$target" ]] || die "no such file: $target"
page="$(cd "$(dirname "$target")" && pwd)/$(basename "$target")"
url="file://$page"

# --- chromium ---------------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  echo "check-html: installing chromium (apt-get)" >&2
  $sudo apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null || die "apt-get install chromium failed"
fi

profile="$(mktemp -d -t srbench-chromium.XXXXXX)"
trap 'rm -rf "$profile"' EXIT
chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --disable-default-apps \
    --disable-extensions --hide-scrollbars --host-resolver-rules="MAP * ~NOTFOUND" \
    --user-data-dir="$profile" "$@"
}

fail=0
# 1. Load the page once with the network log and console logging on.
chrome --enable-logging=stderr --v=0 --log-net-log="$out/netlog.json" --net-log-capture-mode=Default \
  --dump-dom "$url" >"$out/dom.html" 2>"$out/console.log" || { echo "FAIL: chromium could not load $url" >&2; fail=1; }

if ! grep -q '<main>' "$out/dom.html" || ! grep -q 'srbench report' "$out/dom.html"; then
  echo "FAIL: the DOM dump has no report (see $out/dom.html)" >&2; fail=1
fi
# Every request the page started must be to the page itself (file:) or data:.
# Requests the browser makes on its own (update and time checks) have no
# document initiator ("not an origin"); they are listed, not counted. The
# host resolver is mapped to nothing, so none of them leaves the machine.
python3 - "$out/netlog.json" >"$out/requests.txt" <<'PY' || fail=1
import json, sys
log = json.load(open(sys.argv[1]))
names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
bad = 0
for e in log["events"]:
    if names.get(e["type"]) != "URL_REQUEST_START_JOB":
        continue
    p = e.get("params", {})
    url, init = p.get("url"), p.get("initiator", "")
    if url is None:  # the job's end event
        continue
    if url.startswith(("file:", "data:", "about:")):
        print("ok      ", url[:100])
    elif init == "not an origin":
        print("browser ", url[:100])
    else:
        print("PAGE    ", url[:100], "initiator", init)
        bad += 1
if bad:
    print(f"FAIL: the page made {bad} request(s) to non-file URLs", file=sys.stderr)
    sys.exit(1)
PY
# Console messages (errors, CSP violations) appear as CONSOLE lines.
if grep -E 'CONSOLE|Uncaught|Refused to|Failed to load' "$out/console.log" >"$out/console-errors.log"; then
  echo "FAIL: console errors:" >&2; cat "$out/console-errors.log" >&2; fail=1
fi

# 2. Screenshots: desktop and phone widths, tall enough for the whole page.
# Headless Chromium lays a window narrower than 500 px out at 500 px and
# crops the screenshot, so the phone views show the page in a 390 px wide
# frame of a wrapper page instead (media queries then see 390 px). The
# wrapper also measures the page at that width: nothing may make it wider
# than the screen (tables and figures scroll inside their own boxes).
phone_frame() { # phone_frame HEIGHT > wrapper.html
  cat <<HTML
<!DOCTYPE html><html><head><meta charset="utf-8"><style>html,body{margin:0}iframe{display:block;border:0;width:390px;height:${1}px}</style></head>
<body><iframe id="f" src="$url"></iframe><pre id="width"></pre><script>
f.addEventListener('load', () => {
  const d = f.contentDocument.documentElement;
  document.getElementById('width').textContent = 'page width at 390 px: ' + d.scrollWidth;
});
</script></body></html>
HTML
}
phone_frame 20000 >"$out/phone-frame.html"
phone_frame 844 >"$out/phone-top-frame.html"
chrome --screenshot="$out/desktop.png" --window-size=1280,10000 "$url" 2>/dev/null || { echo "FAIL: desktop screenshot" >&2; fail=1; }
chrome --screenshot="$out/phone.png" --window-size=390,20000 "file://$out/phone-frame.html" 2>/dev/null || { echo "FAIL: phone screenshot" >&2; fail=1; }
chrome --screenshot="$out/phone-top.png" --window-size=390,844 "file://$out/phone-top-frame.html" 2>/dev/null || { echo "FAIL: phone screenshot" >&2; fail=1; }
phone_width="$(chrome --allow-file-access-from-files --virtual-time-budget=5000 --window-size=600,900 --dump-dom "file://$out/phone-frame.html" 2>/dev/null |
  sed -n 's/.*page width at 390 px: \([0-9]*\).*/\1/p')"
if [[ -z "$phone_width" ]]; then
  echo "FAIL: could not measure the page at phone width" >&2; fail=1
elif (( phone_width > 390 )); then
  echo "FAIL: at 390 px the page is $phone_width px wide (something does not fit or scroll in its box)" >&2; fail=1
fi
# 3. Print to PDF (the @media print rules).
chrome --print-to-pdf="$out/print.pdf" --no-pdf-header-footer "$url" 2>/dev/null || { echo "FAIL: print to PDF" >&2; fail=1; }

echo "page:        $page"
echo "requests:    $(grep -c '^PAGE' "$out/requests.txt" || true) by the page, $(grep -c '^browser' "$out/requests.txt" || true) by the browser itself (see $out/requests.txt)"
echo "phone:       page ${phone_width:-?} px wide at 390 px"
echo "screenshots: $out/desktop.png $out/phone.png $out/phone-top.png"
echo "print:       $out/print.pdf"
if [[ $fail -ne 0 ]]; then
  echo "check-html: FAILED" >&2
  exit 1
fi
echo "check-html: ok"
