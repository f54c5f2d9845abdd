#!/usr/bin/env bash
# cache-speedup.sh: how much faster an unchanged rerun is when served from the
# score cache (issue #5: "target >= 20x faster than the first").
#
# Usage: scripts/cache-speedup.sh [PAIRS]          (default 200)
#   RERUNS=3     cached reruns after the first run (the median is reported)
#   WORK=dir     where the model, data, cache and runs go (default: a fresh temporary dir)
#
# The scorer is clipscore on a ViT-B/32-sized model with random weights
# (`srbench models demo --size base`, about 600 MB, built once into WORK), so the
# first run costs what real inference costs; the pairs are the held-out test
# triplets of a simulated world (`srbench simulate` + `srbench curate`). Needs
# `make build` (bin/srbench, bin/plugins) and the ONNX Runtime library (`make setup`).
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${1:-200}
RERUNS=${RERUNS:-3}
WORK=${WORK:-$(mktemp -d)}
SRBENCH=${SRBENCH:-bin/srbench}
[ -x "$SRBENCH" ] || { echo "cache-speedup: $SRBENCH missing: run make build" >&2; exit 1; }
mkdir -p "$WORK"

if [ ! -f "$WORK/models/clipscore/srbench.yaml" ]; then
	"$SRBENCH" models demo --size base --scorers clipscore --out "$WORK/models" >/dev/null
fi
if [ ! -f "$WORK/curated/test.jsonl" ]; then
	"$SRBENCH" simulate --world-seed 0 --out "$WORK/world" >/dev/null
	"$SRBENCH" curate --log "$WORK/world/log.jsonl" --out "$WORK/curated" >/dev/null
fi

rm -rf "$WORK/cache" "$WORK/runs"
times=()
for i in $(seq 0 "$RERUNS"); do
	start=$(date +%s.%N)
	"$SRBENCH" run --format pairs-jsonl --dataset "$WORK/curated/test.jsonl" --limit "$PAIRS" \
		--scorers clipscore --models "$WORK/models" --cache "$WORK/cache" --no-progress \
		--out "$WORK/runs/r$i" >/dev/null
	end=$(date +%s.%N)
	times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')")
done
first=${times[0]}
med=$(printf '%s\n' "${times[@]:1}" | sort -n | awk '{ t[++n] = $1 } END { print (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2 }')
awk -v pairs="$PAIRS" -v first="$first" -v med="$med" -v list="${times[*]:1}" \
	'BEGIN { printf "%d pairs: first run %.2f s; cached reruns %s s; median %.2f s; speedup %.1fx\n", pairs, first, list, med, first / med }'
if command -v jq >/dev/null; then
	cmp <(jq -S 'del(.provenance)' "$WORK/runs/r0/results.json") <(jq -S 'del(.provenance)' "$WORK/runs/r$RERUNS/results.json") >/dev/null ||
		{ echo "cache-speedup: the cached run's results differ from the first run's" >&2; exit 1; }
	echo "results identical to the first run's (provenance aside)"
fi
echo "work dir: $WORK"
