"""Independent reference for stats.BradleyTerry (bradleyterry_test.go).

Fits the Bradley-Terry model by Newton-Raphson on the logistic
log-likelihood with numpy (not Hunter's MM, which the Go code uses), with
the last log-strength fixed at 0 for identifiability, then centres the
result so it sums to 0. Run with /usr/bin/python3 (numpy):

    /usr/bin/python3 bt_reference.py > bt_reference.json
"""
import json

import numpy as np

CASES = {
    # 5 players, fractional wins, strongly connected but unbalanced.
    "five": [
        [0, 3, 2.5, 4, 1],
        [1, 0, 2, 3.5, 2],
        [1.5, 2, 0, 1, 3],
        [0.5, 0.5, 2, 0, 1.5],
        [2, 1, 1, 0.5, 0],
    ],
    # 4 players, a sparse (not complete) but strongly connected graph.
    "four_sparse": [
        [0, 5, 0, 1],
        [2, 0, 3, 0],
        [0, 1, 0, 4],
        [2, 0, 1, 0],
    ],
}


def fit(wins, prior=0.0):
    w = np.array(wins, dtype=float)
    n = w.shape[0]
    w = w + prior / 2 * (1 - np.eye(n))
    np.fill_diagonal(w, 0)
    beta = np.zeros(n)
    for _ in range(200):
        d = beta[:, None] - beta[None, :]
        p = 1 / (1 + np.exp(-d))  # P(i beats j)
        nn = w + w.T
        grad = (w - nn * p).sum(axis=1)
        v = nn * p * (1 - p)
        hess = -np.diag(v.sum(axis=1)) + v  # off-diagonal +v? see below
        # d2/dbeta_i dbeta_j of sum w_ij log p_ij is +v_ij for i != j,
        # -sum_j v_ij on the diagonal.
        np.fill_diagonal(hess, -v.sum(axis=1) + np.diag(v))
        free = slice(0, n - 1)
        step = np.linalg.solve(hess[free, free], -grad[free])
        beta[free] += step
        if np.max(np.abs(step)) < 1e-15:
            break
    return (beta - beta.mean()).tolist()


out = {name: {"wins": w, "beta": fit(w)} for name, w in CASES.items()}
out["five_prior1"] = {"wins": CASES["five"], "prior": 1.0, "beta": fit(CASES["five"], 1.0)}
print(json.dumps(out, indent=1))
