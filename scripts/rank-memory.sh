#!/usr/bin/env bash
# rank-memory.sh: peak memory and throughput of `srbench rank` as the gallery
# grows (issue: "100k images x 4 scorers streams with flat memory; a 100k-image
# gallery run's peak RSS is within 1.2x of a 10k-image run's").
#
# Usage: scripts/rank-memory.sh [IMAGES...]   (default: 10000 100000)
#   GENERATORS=4   generators in the gallery
#   SAMPLES=4      samples per (prompt, generator): IMAGES/(GENERATORS*SAMPLES)
#                  prompts (100k images = 6250 prompts, 10k = 625); with
#                  IMAGES not a multiple of GENERATORS*SAMPLES the last
#                  prompt lacks some generators' images
#   SCORERS=4      scorer instances: copies of the trivial plugin named
#                  trivial1..trivialN (`srbench rank --scorers` takes NAME or
#                  NAME=MODEL_DIR, no options, so each instance is its own
#                  plugin binary, all pinned in the plugin lock)
#   WORK=dir       where data and runs go (default: a fresh temporary dir)
#   SRBENCH=file   an srbench binary to measure (default: build one into WORK)
#
# The scorer is the trivial test plugin (harness/scorer/scorertest): no
# model, so what is measured is the harness itself: streaming the manifest,
# validation, pipelining, images.jsonl, every statistic (bootstrap, win rates,
# Bradley-Terry, Kendall's tau, best-of-N by each scorer and by the "truth"
# field every line carries) and the leaderboard report. Peak RSS and wall time
# of the srbench process come from /usr/bin/time (GNU time; apt-get install
# time); the plugins are separate processes and not counted.
set -euo pipefail
cd "$(dirname "$0")/.."

GENERATORS=${GENERATORS:-4}
SAMPLES=${SAMPLES:-4}
SCORERS=${SCORERS:-4}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "rank-memory: $TIME missing: apt-get install -y time" >&2; exit 1; }

WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK/plugins" "$WORK/data"
GO=${GO:-go}
if [ -n "${SRBENCH:-}" ]; then
	cp "$SRBENCH" "$WORK/srbench"
else
	"$GO" build -o "$WORK/srbench" ./harness/cmd/srbench
fi
# The plugin SDK (harness/scorer) is its own module.
(cd harness/scorer && "$GO" build -o "$WORK/trivial" ./scorertest/cmd/trivialscorer)
scorers=""
for s in $(seq 1 "$SCORERS"); do
	cp "$WORK/trivial" "$WORK/plugins/trivial$s"
	# The trivial scorer reads nothing from its model directory, but it must exist.
	mkdir -p "$WORK/models/trivial$s"
	scorers=${scorers:+$scorers,}trivial$s
done
"$WORK/srbench" plugins lock --plugin-dir "$WORK/plugins" >/dev/null

# 50 distinct "images": the trivial scorer reads only their size.
for i in $(seq 0 49); do
	head -c $((100 + 7 * i)) /dev/zero | tr '\0' x >"$WORK/data/i$i.png"
done

printf '%-9s %-8s %-8s %10s %9s %10s %17s\n' images prompts scorers "peak MiB" seconds images/s "images*scorers/s"
peaks=()
for n in "${sizes[@]}"; do
	cell=$((GENERATORS * SAMPLES))
	p=$(((n + cell - 1) / cell))
	data="$WORK/data/g$n.jsonl"
	# Image i of a prompt's cells: the SAMPLES images of one (prompt, generator)
	# are distinct files (a path twice in a cell is an error).
	awk -v n="$n" -v g="$GENERATORS" -v s="$SAMPLES" 'BEGIN {
		srand(1)
		for (i = 0; i < n; i++) {
			k = i % s; gen = int(i / s) % g; q = int(i / (s * g))
			img = (q * 7 + gen * 13 + k) % 50
			printf "{\"prompt\":\"prompt %d\",\"generator\":\"gen%d\",\"image\":\"i%d.png\",\"prompt_id\":\"q%d\",\"truth\":%.4f}\n", q, gen, img, q, rand() + gen * 0.1
		}
	}' >"$data"
	out="$WORK/runs/g$n"
	rm -rf "$out"
	$TIME -f '%M %e' -o "$WORK/time-rank" "$WORK/srbench" rank "$data" --scorers "$scorers" \
		--plugin-dir "$WORK/plugins" --models "$WORK/models" --no-cache --no-progress --out "$out" >"$WORK/rank-$n.log"
	read -r rk rs <"$WORK/time-rank"
	peaks+=("$rk")
	awk -v n="$n" -v p="$p" -v s="$SCORERS" -v rk="$rk" -v rs="$rs" \
		'BEGIN { printf "%-9s %-8s %-8s %10.1f %9s %10.0f %17.0f\n", n, p, s, rk / 1024, rs, n / rs, n * s / rs }'
done
printf '%s\n' "${peaks[@]}" | awk 'NR == 1 || $1 < lo { lo = $1 } NR == 1 || $1 > hi { hi = $1 }
	END { printf "peak RSS largest/smallest: %.2f\n", hi / lo }'
echo "data and runs: $WORK"
