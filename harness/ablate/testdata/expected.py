"""Independent expected values for harness/ablate tests (scipy/statsmodels).

Run: /usr/bin/python3 harness/ablate/testdata/expected.py
The fake grid of run_test.go: 20 test pairs, seeds 1, 2, 3; a cell with
window (start, counts) is right on pairs (i - start) mod 20 < count.
"""
import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

N = 20
cells = {
    "reference": (0, [12, 13, 14]),
    "loss=logistic": (0, [15, 16, 18]),
    "margin=0.5": (2, [12, 13, 14]),
    "curation=raw": (0, [10, 10, 11]),
    "fraction=0.5": (0, [8, 9, 9]),
}

def right(start, count):
    return np.array([((i - start) % N) < count for i in range(N)])

print("t_{0.975,2} =", repr(stats.t.ppf(0.975, 2)))
ref = cells["reference"]
ps, names = [], []
for name, (start, counts) in cells.items():
    acc = np.array(counts) / N
    m, sd = acc.mean(), acc.std(ddof=1)
    lo, hi = stats.t.interval(0.95, len(acc) - 1, loc=m, scale=sd / np.sqrt(len(acc)))
    print(f"{name}: mean={m!r} sd={sd!r} ci=({lo!r}, {hi!r})")
    if name == "reference":
        continue
    b = c = 0
    for k in range(3):
        x, r = right(start, counts[k]), right(ref[0], ref[1][k])
        b += int(np.sum(x & ~r))
        c += int(np.sum(r & ~x))
    p = stats.binomtest(min(b, c), b + c, 0.5).pvalue if b + c else 1.0
    print(f"  cell_wins={b} reference_wins={c} p={p!r}")
    ps.append(p)
    names.append(name)
rej, adj, _, _ = multipletests(ps, alpha=0.05, method="holm")
for n, a, r in zip(names, adj, rej):
    print(f"holm {n}: {a!r} reject={r}")
print("spearman([1,2,3,4,5],[5,6,7,8,7]) =", repr(stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])[0]))
