#!/usr/bin/env bash
# memory-flat.sh: peak memory of `srbench run` and `srbench analyze` as the
# number of pairs grows (issue #5: "memory stays flat from 10k to 1M pairs").
#
# Usage: scripts/memory-flat.sh [PAIRS[:PROMPTS]...]
#          (default: 10000 1000000 1000000:1000000)
#   PROMPTS=1000   distinct prompts when a size does not give them (pairs
#                  cycle over them; default 1000). 1000000:1000000 is 1M
#                  pairs over 1M distinct prompts, where the intervals are
#                  the Poisson bootstrap (from 100,000 prompts on).
#   SCORERS=3      scorer instances (trivial plugin, different jitter seeds)
#   WORK=dir       where data and runs go (default: a fresh temporary dir)
#
# The scorer is the trivial test plugin (harness/scorer/scorertest): no
# model, so what is measured is the harness itself: loading, pipelining,
# samples.jsonl, every statistic (bootstrap, McNemar, Kendall tau-b, tie
# calibration, logistic calibration) and the report. Peak RSS comes from
# /usr/bin/time (GNU time; apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."

PROMPTS=${PROMPTS:-1000}
SCORERS=${SCORERS:-3}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 1000000 1000000:1000000)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "memory-flat: $TIME missing: apt-get install -y time" >&2; exit 1; }

WORK=${WORK:-$(mktemp -d)}
# The trivial scorer reads nothing from its model directory, but it must exist.
mkdir -p "$WORK/plugins" "$WORK/data" "$WORK/models/trivial"
GO=${GO:-go}
"$GO" build -o "$WORK/srbench" ./harness/cmd/srbench
# The plugin SDK (harness/scorer) is its own module.
(cd harness/scorer && "$GO" build -o "$WORK/plugins/trivial" ./scorertest/cmd/trivialscorer)
"$WORK/srbench" plugins lock --plugin-dir "$WORK/plugins" >/dev/null

# 50 "images": the trivial scorer reads only their size.
for i in $(seq 0 49); do
	head -c $((100 + 7 * i)) /dev/zero | tr '\0' x >"$WORK/data/i$i.png"
done

printf '%-10s %-8s %-8s %14s %9s %18s %9s\n' pairs prompts scorers "run peak MiB" "run s" "analyze peak MiB" "analyze s"
for size in "${sizes[@]}"; do
	n=${size%%:*}
	p=$PROMPTS
	[ "$size" = "$n" ] || p=${size#*:}
	n=$n-$p
	data="$WORK/data/p$n.jsonl"
	awk -v n="${n%%-*}" -v p="$p" 'BEGIN {
		srand(1)
		for (i = 0; i < n; i++) {
			a = int(rand() * 50); b = (a + 1 + int(rand() * 49)) % 50
			printf "{\"prompt\":\"prompt %d\",\"prompt_id\":\"q%d\",\"image_a\":\"i%d.png\",\"image_b\":\"i%d.png\",\"label\":\"%s\"}\n", i % p, i % p, a, b, (rand() < 0.5 ? "a" : "b")
		}
	}' >"$data"
	spec="$WORK/data/p$n.yaml"
	{
		echo "name: memory-$n"
		echo "dataset: {format: pairs-jsonl, path: p$n.jsonl}"
		echo "scorers:"
		for s in $(seq 1 "$SCORERS"); do
			echo "  - {name: trivial-$s, plugin: trivial, batch_size: 512, options: {jitter: \"$s\"}}"
		done
	} >"$spec"
	out="$WORK/runs/p$n"
	rm -rf "$out"
	$TIME -f '%M %e' -o "$WORK/time-run" "$WORK/srbench" run "$spec" --plugin-dir "$WORK/plugins" --models "$WORK/models" --no-cache --no-progress --out "$out" >/dev/null
	$TIME -f '%M %e' -o "$WORK/time-analyze" "$WORK/srbench" analyze "$out" >/dev/null
	read -r rk rs <"$WORK/time-run"
	read -r ak as <"$WORK/time-analyze"
	awk -v n="${n%%-*}" -v p="$p" -v s="$SCORERS" -v rk="$rk" -v rs="$rs" -v ak="$ak" -v as="$as" \
		'BEGIN { printf "%-10s %-8s %-8s %14.1f %9s %18.1f %9s\n", n, p, s, rk / 1024, rs, ak / 1024, as }'
done
echo "data and runs: $WORK"
