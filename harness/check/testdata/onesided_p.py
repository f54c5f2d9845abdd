"""Reference one-sided exact McNemar p-values for harness/check.

b pairs favour the baseline (it is right, the current run wrong), c favour
the current run. The p-value that the current run is worse is the exact
binomial test of b successes in b+c trials with p = 1/2, alternative
"greater" (scipy.stats.binomtest), and statsmodels' two-sided
mcnemar(exact=True) is given beside it.

Run with the reference Python: /usr/bin/python3 onesided_p.py > onesided_p.json
"""
import json

import scipy
import statsmodels
from scipy.stats import binomtest
from statsmodels.stats.contingency_tables import mcnemar

cases = [(0, 0), (1, 0), (0, 1), (12, 0), (6, 0), (6, 1), (10, 10), (36, 24), (24, 36),
         (91, 60), (60, 91), (102, 62), (5, 20), (200, 150), (1000, 900), (3, 2)]
rows = []
for b, c in cases:
    n = b + c
    one = 1.0 if n == 0 else binomtest(b, n, 0.5, alternative="greater").pvalue
    two = mcnemar([[0, b], [c, 0]], exact=True).pvalue
    rows.append({"b": b, "c": c, "one_sided": one, "two_sided": two})
print(json.dumps({"scipy": scipy.__version__, "statsmodels": statsmodels.__version__, "cases": rows}, indent=1))
