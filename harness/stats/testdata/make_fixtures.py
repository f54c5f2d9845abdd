#!/usr/bin/python3
"""Generate testdata/fixtures.json for harness/stats.

Run from the package directory with the Debian interpreter (scipy 1.10,
statsmodels 0.13, mpmath 1.2):

    /usr/bin/python3 testdata/make_fixtures.py

Every input is generated from a fixed numpy seed and written into the JSON
next to the expected values, so the Go tests read exactly the numbers Python
used. Expected values come from statsmodels / scipy where a library has the
statistic, and otherwise from small, deliberately naive re-statements of how
each peer's evaluation code counts (Social Reward validate.py, PickScore
eval_preference_predictor.py, ImageReward test.py, HPSv2 inversion_score and
calc_ImageReward, mt-metrics-eval tau_optimization) so that the Go code, which
uses different algorithms (sweeps, merge sorts), is checked against an
independent computation.
"""
import json
import math
import os

import mpmath as mp
import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

rng = np.random.default_rng(20240214)
out = {
    "generator": "testdata/make_fixtures.py",
    "versions": {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
    },
}


def f(x):
    return float(x)


# ---------------------------------------------------------------- Wilson
wilson_cases = [
    (81, 263, 0.05),  # Newcombe (1998) example (a)
    (15, 148, 0.05),  # (b)
    (0, 20, 0.05),  # (c)
    (1, 29, 0.05),  # (d)
    (29, 29, 0.05),
    (10.5, 20, 0.05),  # fractional successes (half credit)
    (697.5, 1000, 0.05),
    (3, 7, 0.10),
    (50, 100, 0.01),
    (123.25, 400, 0.05),
]
for _ in range(6):
    n = int(rng.integers(5, 5000))
    c = float(rng.integers(0, n + 1)) + float(rng.choice([0, 0.5]))
    c = min(c, n)
    wilson_cases.append((c, n, float(rng.choice([0.05, 0.1, 0.01]))))
out["wilson"] = []
for c, n, a in wilson_cases:
    lo, hi = proportion_confint(c, n, alpha=a, method="wilson")
    out["wilson"].append({"successes": f(c), "n": f(n), "level": 1 - a,
                          "lo": f(lo), "hi": f(hi)})

# ---------------------------------------------------------------- McNemar
# Agresti, Categorical Data Analysis: presidential approval ratings at two
# surveys, [[794, 150], [86, 570]].
mc_tables = [
    [[794, 150], [86, 570]],
    [[10, 0], [0, 10]],
    [[5, 3], [3, 5]],
    [[0, 1], [0, 0]],
    [[20, 12], [2, 30]],
    [[100, 300], [250, 40]],
    [[7, 0], [6, 9]],
    [[3, 40000], [40500, 2]],
]
out["mcnemar"] = []
for t in mc_tables:
    b, c = t[0][1], t[1][0]
    r = mcnemar(np.array(t), exact=True)
    if b + c > 0:
        bt = stats.binomtest(min(b, c), b + c, 0.5).pvalue
    else:
        bt = 1.0
    out["mcnemar"].append({"b": b, "c": c, "p": f(r.pvalue), "p_binomtest": f(bt)})

# ---------------------------------------------------------------- Holm
holm_families = [
    [0.01, 0.04, 0.03, 0.005],
    [0.02, 0.02, 0.02],
    [0.3, 0.4, 0.5, 0.6],
    [0.0125, 0.0125, 0.05, 0.001, 0.2],
    [0.0],
    [1.0, 0.0001],
    list(map(float, rng.uniform(0, 0.2, 20))),
    list(map(float, rng.beta(0.3, 3, 12))),
]
out["holm"] = []
for ps in holm_families:
    for alpha in (0.05, 0.10):
        rej, corr, _, _ = multipletests(ps, alpha=alpha, method="holm")
        out["holm"].append({"p": ps, "alpha": alpha,
                            "adjusted": list(map(f, corr)),
                            "reject": list(map(bool, rej))})

# ---------------------------------------------------------------- pairs
# One data set of preference pairs for two scorers. Scores are rounded so
# that exact prediction ties occur; labels include human ties.
pairs = []
n_prompts = 60
for g in range(n_prompts):
    k = int(rng.integers(1, 13))
    for _ in range(k):
        u = rng.normal()
        label = "A" if u > 0.35 else ("B" if u < -0.35 else "tie")
        sgn = {"A": 1.0, "B": -1.0, "tie": 0.0}[label]
        a = round(float(rng.normal(0.25 * sgn, 1.0)), 1)
        b = round(float(rng.normal(-0.25 * sgn, 1.0)), 1)
        a2 = round(float(rng.normal(0.15 * sgn, 1.0) + 0.5 * (a - b) / 2), 1)
        b2 = round(float(rng.normal(-0.15 * sgn, 1.0)), 1)
        w = float(rng.choice([1.0, 1.0, 2.0, 0.5, 3.0]))
        s = float(rng.choice([0.1, 0.2, 0.3, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0])) if rng.uniform() > 0.1 else None
        pairs.append({"prompt": f"p{g:03d}", "label": label, "a": a, "b": b,
                      "a2": a2, "b2": b2, "w": w, "strength": s})
out["pairs"] = pairs


def credit_socialreward(p, a, b):
    # validate.py: score(pos) >= score(neg); a triplet has no tie label.
    if p["label"] == "tie":
        return None
    pos, neg = (a, b) if p["label"] == "A" else (b, a)
    return 1.0 if pos >= neg else 0.0


def credit_imagereward(p, a, b):
    # test.py: label ties skipped, a tied prediction is wrong.
    if p["label"] == "tie":
        return None
    if p["label"] == "A":
        return 1.0 if a > b else 0.0
    return 1.0 if b > a else 0.0


def pickscore_credit(t):
    # eval_preference_predictor.py get_label / get_pred / calc_score, with
    # probabilities = softmax over the pair's two scores.
    def credit(p, a, b):
        m = max(a, b)
        e0, e1 = math.exp(a - m), math.exp(b - m)
        p0, p1 = e0 / (e0 + e1), e1 / (e0 + e1)
        label = {"A": "0", "B": "1", "tie": "tie"}[p["label"]]
        if abs(p1 - p0) <= t:
            pred = "tie"
        elif p0 > p1:
            pred = "0"
        else:
            pred = "1"
        if label == pred:
            return 1.0
        if "tie" in (label, pred):
            return 0.5
        return 0.0
    return credit


def credit_acc23(eps):
    # Deutsch et al. acc_23 with |a-b| <= eps a predicted tie.
    def credit(p, a, b):
        pt = abs(a - b) <= eps
        if p["label"] == "tie":
            return 1.0 if pt else 0.0
        if pt:
            return 0.0
        return 1.0 if ((a > b) == (p["label"] == "A")) else 0.0
    return credit


def accuracy(credit_fn, macro, weighted, second=False):
    per = {}
    order = []
    skipped = 0
    pred_ties = 0
    npairs = 0
    for p in pairs:
        a, b = (p["a2"], p["b2"]) if second else (p["a"], p["b"])
        c = credit_fn(p, a, b)
        if c is None:
            skipped += 1
            continue
        npairs += 1
        w = p["w"] if weighted else 1.0
        if p["prompt"] not in per:
            per[p["prompt"]] = [0.0, 0.0]
            order.append(p["prompt"])
        per[p["prompt"]][0] += w * c
        per[p["prompt"]][1] += w
    cs = sum(per[g][0] for g in order)
    ws = sum(per[g][1] for g in order)
    if macro:
        acc = float(np.mean([per[g][0] / per[g][1] for g in order]))
    else:
        acc = cs / ws
    return {"accuracy": acc, "credit": cs, "weight": ws, "pairs": npairs,
            "skipped": skipped, "prompts": len(order)}


def count_pred_ties(eps, skip_label_ties):
    n = 0
    for p in pairs:
        if skip_label_ties and p["label"] == "tie":
            continue
        if abs(p["a"] - p["b"]) <= eps:
            n += 1
    return n


acc_cases = []
for weighted in (False, True):
    for macro in (False, True):
        r = accuracy(credit_socialreward, macro, weighted)
        r.update(name="socialreward", macro=macro, weighted=weighted,
                 pred_ties=count_pred_ties(0, True))
        acc_cases.append(r)
        r = accuracy(credit_imagereward, macro, weighted)
        r.update(name="imagereward", macro=macro, weighted=weighted,
                 pred_ties=count_pred_ties(0, True))
        acc_cases.append(r)
        for t in (0.0, 0.1, 0.3):
            r = accuracy(pickscore_credit(t), macro, weighted)
            r.update(name="pickscore", pickscore_t=t, macro=macro,
                     weighted=weighted,
                     pred_ties=count_pred_ties(2 * math.atanh(t), False))
            acc_cases.append(r)
        for eps in (0.0, 0.25):
            r = accuracy(credit_acc23(eps), macro, weighted)
            r.update(name="tiecal", epsilon=eps, macro=macro, weighted=weighted,
                     pred_ties=count_pred_ties(eps, False))
            acc_cases.append(r)
out["accuracy"] = acc_cases

# Tie calibration by brute force over every candidate epsilon: 0 and each
# distinct |a-b|, keeping the first (smallest) epsilon with the best value.
tiecal = []
cands = sorted(set([0.0] + [abs(p["a"] - p["b"]) for p in pairs]))
for weighted in (False, True):
    for macro in (False, True):
        best, best_eps = -1.0, None
        for eps in cands:
            v = accuracy(credit_acc23(eps), macro, weighted)["accuracy"]
            if v > best + 1e-12:
                best, best_eps = v, eps
        tiecal.append({"macro": macro, "weighted": weighted,
                       "epsilon": best_eps, "accuracy": best})
out["tiecal"] = tiecal

# Paired comparison of scorer 1 and scorer 2 under the ImageReward policy.
c1 = [credit_imagereward(p, p["a"], p["b"]) for p in pairs]
c2 = [credit_imagereward(p, p["a2"], p["b2"]) for p in pairs]
b_ = sum(1 for x, y in zip(c1, c2) if x is not None and x == 1 and y == 0)
c_ = sum(1 for x, y in zip(c1, c2) if x is not None and x == 0 and y == 1)
tab = [[0, b_], [c_, 0]]
out["pairs_mcnemar"] = {"b": b_, "c": c_, "p": f(mcnemar(np.array(tab), exact=True).pvalue)}

# Kendall tau-b of the two scorers' score differences (ties in both), plus
# other tied inputs.
d1 = np.array([p["a"] - p["b"] for p in pairs])
d2 = np.array([p["a2"] - p["b2"] for p in pairs])
kend = []


def add_kendall(name, x, y):
    r = stats.kendalltau(x, y, variant="b", method="asymptotic")
    kend.append({"name": name, "x": list(map(f, x)), "y": list(map(f, y)),
                 "tau": f(r.correlation), "p": f(r.pvalue)})


add_kendall("pair-differences", d1, d2)
add_kendall("small-ties", [1, 2, 2, 3, 3, 3, 4], [2, 1, 2, 3, 3, 4, 4])
x = np.round(rng.normal(size=800), 1)
y = np.round(0.3 * x + rng.normal(size=800), 1)
add_kendall("n800-ties", x, y)
x = rng.normal(size=300)
y = -0.5 * x + rng.normal(size=300)
add_kendall("n300-continuous", x, y)
add_kendall("reversed", [1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1])
out["kendall"] = kend
same = sum(1 for u, v in zip(d1, d2) if (u > 0 and v > 0) or (u < 0 and v < 0))
either_tie = sum(1 for u, v in zip(d1, d2) if u == 0 or v == 0)
out["agreement"] = {"same": same, "either_tie": either_tie, "n": len(pairs)}

# ---------------------------------------------------------------- logistic
# Label (A=1, B=0, ties skipped) on the score difference a-b, scorer 1.
xs, ys, ws = [], [], []
for p in pairs:
    if p["label"] == "tie":
        continue
    xs.append(p["a"] - p["b"])
    ys.append(1.0 if p["label"] == "A" else 0.0)
    ws.append(p["w"])
X = sm.add_constant(np.array(xs))
logit = sm.Logit(np.array(ys), X).fit(disp=0, tol=1e-12, maxiter=200)
glm = sm.GLM(np.array(ys), X, family=sm.families.Binomial(),
             freq_weights=np.array(ws)).fit(tol=1e-12, maxiter=200)
out["logistic"] = {
    "unweighted": {"params": list(map(f, logit.params)), "bse": list(map(f, logit.bse)),
                   "llf": f(logit.llf), "nobs": int(logit.nobs)},
    "weighted": {"params": list(map(f, glm.params)), "bse": list(map(f, glm.bse)),
                 "llf": f(glm.llf)},
}
# A second, larger logistic data set with a known generating model.
xl = rng.normal(0, 2, 1500)
yl = (rng.uniform(size=1500) < 1 / (1 + np.exp(-(0.3 + 0.8 * xl)))).astype(float)
lr = sm.Logit(yl, sm.add_constant(xl)).fit(disp=0, tol=1e-12, maxiter=200)
out["logistic_large"] = {"x": list(map(f, xl)), "y": list(map(f, yl)),
                         "params": list(map(f, lr.params)), "bse": list(map(f, lr.bse)),
                         "llf": f(lr.llf)}

# ---------------------------------------------------------------- reliability
# Equal-width bins [k/K, (k+1)/K), the last one closed, of the predicted
# probability that A is preferred; ECE = sum_k W_k/W |mean_pred_k - obs_k|.


def reliability(prob, obs, w, K):
    bins = []
    W = sum(w)
    ece = 0.0
    for k in range(K):
        idx = [i for i in range(len(prob)) if min(int(math.floor(prob[i] * K)), K - 1) == k]
        if not idx:
            continue
        wk = sum(w[i] for i in idx)
        mp = sum(w[i] * prob[i] for i in idx) / wk
        ob = sum(w[i] * obs[i] for i in idx) / wk
        ece += wk / W * abs(mp - ob)
        bins.append({"bin": k, "count": len(idx), "weight": wk, "mean_pred": mp, "observed": ob})
    return bins, ece


b0, b1 = logit.params
prob_fit = [1 / (1 + math.exp(-(b0 + b1 * x_))) for x_ in xs]
bins_fit, ece_fit = reliability(prob_fit, ys, [1.0] * len(xs), 10)
prob_soft = [1 / (1 + math.exp(-x_)) for x_ in xs]
bins_soft, ece_soft = reliability(prob_soft, ys, ws, 5)
out["reliability"] = [
    {"name": "fitted-unweighted-10", "prob": prob_fit, "obs": ys, "w": None, "bins_k": 10,
     "bins": bins_fit, "ece": ece_fit},
    {"name": "softmax-weighted-5", "prob": prob_soft, "obs": ys, "w": ws, "bins_k": 5,
     "bins": bins_soft, "ece": ece_soft},
]

# ---------------------------------------------------------------- strength bins
# Quantile bins of Strength (pairs without strength left out). Edge k is the
# inverted-CDF quantile at k/K: the order statistic x_(ceil(n*k/K)); a pair
# goes to bin #{k : s > edge_k}; empty bins are dropped. Accuracy is the
# ImageReward policy (micro, unweighted) with a 95% Wilson interval.
K = 4
sv = sorted(p["strength"] for p in pairs if p["strength"] is not None)
n_s = len(sv)
edges = []
for k in range(1, K):
    q = (k / K) * n_s
    i = next(i for i in range(n_s) if (i + 1) >= q)
    edges.append(sv[i])
    assert sv[i] == np.quantile(sv, k / K, method="inverted_cdf")
sbins = []
for kbin in range(K):
    members = [p for p in pairs if p["strength"] is not None
               and sum(1 for e in edges if p["strength"] > e) == kbin]
    if not members:
        continue
    cr = [credit_imagereward(p, p["a"], p["b"]) for p in members]
    cr = [c for c in cr if c is not None]
    if not cr:
        continue
    succ, nn = sum(cr), len(cr)
    lo, hi = proportion_confint(succ, nn, alpha=0.05, method="wilson")
    sbins.append({"lo": min(p["strength"] for p in members),
                  "hi": max(p["strength"] for p in members),
                  "pairs": nn, "accuracy": succ / nn, "wilson_lo": f(lo), "wilson_hi": f(hi)})
out["strength"] = {"bins_k": K, "edges": edges, "bins": sbins}

# ---------------------------------------------------------------- rankings
# HPDv2-style rankings: human ranks (1 = best, ties allowed) and scores.
rankings = []
for g in range(40):
    n = int(rng.integers(2, 10))
    ranks = [int(r) for r in rng.integers(1, n + 1, n)]
    scores = [round(float(v), 1) for v in rng.normal(size=n)]
    rankings.append({"prompt": f"r{g:02d}", "ranks": ranks, "scores": scores})
rankings.append({"prompt": "alltie", "ranks": [1, 1, 1], "scores": [0.1, 0.2, 0.3]})


def hps_inversion_score(ranks, scores):
    # HPSv2 evaluate_rank: predicted rank of each image from argsort(-scores)
    # (stable here), inversions = pairs ranked strictly the other way.
    order = np.argsort(-np.array(scores), kind="stable")
    pred = [int(np.where(order == j)[0][0]) for j in range(len(scores))]
    n = len(ranks)
    cnt = 0
    for i in range(n - 1):
        for j in range(i + 1, n):
            if (pred[i] > pred[j] and ranks[i] < ranks[j]) or (pred[i] < pred[j] and ranks[i] > ranks[j]):
                cnt += 1
    return 1 - cnt / (n * (n - 1) / 2)


def hps_calc_imagereward(ranks, scores):
    # HPSv2 calc_ImageReward: label ties skipped, tied scores wrong.
    tot = 0
    true = 0
    n = len(ranks)
    for i in range(n):
        for j in range(i + 1, n):
            if ranks[i] > ranks[j]:
                tot += 1
                true += scores[i] < scores[j]
            elif ranks[i] < ranks[j]:
                tot += 1
                true += scores[i] > scores[j]
    return None if tot == 0 else true / tot


inv = [hps_inversion_score(r["ranks"], r["scores"]) for r in rankings]
ir = [hps_calc_imagereward(r["ranks"], r["scores"]) for r in rankings]
out["rankings"] = {
    "rankings": rankings,
    "inversion": inv,
    "inversion_mean": float(np.mean(inv)),
    "imagereward_macro": float(np.mean([v for v in ir if v is not None])),
    "imagereward_prompts": sum(1 for v in ir if v is not None),
}

# ---------------------------------------------------------------- Clopper-Pearson
# Exact binomial intervals (statsmodels method="beta"), and the paired
# difference interval srbench derives from them for few prompts:
# (2*CP(a_wins of m) - 1) * m / n. New sections use their own generator so
# the sections above keep their numbers.
rng2 = np.random.default_rng(20261207)
cp_cases = [(0, 10, 0.05), (3, 3, 0.05), (1, 3, 0.05), (7, 20, 0.05), (50, 100, 0.01),
            (99, 100, 0.05), (1, 1, 0.10), (0, 1, 0.05), (12, 17, 0.20)]
for _ in range(5):
    n = int(rng2.integers(1, 500))
    cp_cases.append((int(rng2.integers(0, n + 1)), n, float(rng2.choice([0.05, 0.1, 0.01]))))
out["clopper_pearson"] = []
for c, n, a in cp_cases:
    lo, hi = proportion_confint(c, n, alpha=a, method="beta")
    out["clopper_pearson"].append({"successes": c, "n": n, "level": 1 - a, "lo": f(lo), "hi": f(hi),
                                    "binomtest_p": f(stats.binomtest(c, n, 0.5).pvalue) if n > 0 else 1.0})

# ---------------------------------------------------------------- cross-fitted calibration
# Folds: FNV-1a (64 bit) of the prompt id modulo K. Fold j's probabilities
# come from a weighted logistic fit (GLM Binomial, freq_weights) on every
# pair outside fold j (label ties skipped).


def fnv1a64(s):
    h = 0xcbf29ce484222325
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001b3) % (1 << 64)
    return h


K = 5
rows = [p for p in pairs if p["label"] != "tie"]
folds = [fnv1a64(p["prompt"]) % K for p in rows]
oof = [None] * len(rows)
for j in range(K):
    train = [i for i in range(len(rows)) if folds[i] != j]
    Xt = sm.add_constant(np.array([rows[i]["a"] - rows[i]["b"] for i in train]))
    yt = np.array([1.0 if rows[i]["label"] == "A" else 0.0 for i in train])
    wt = np.array([rows[i]["w"] for i in train])
    g = sm.GLM(yt, Xt, family=sm.families.Binomial(), freq_weights=wt).fit(tol=1e-12, maxiter=200)
    for i in range(len(rows)):
        if folds[i] == j:
            d = rows[i]["a"] - rows[i]["b"]
            oof[i] = f(1 / (1 + math.exp(-(g.params[0] + g.params[1] * d))))
out["crossfit"] = {"k": K, "folds": folds, "prob": oof}

# ---------------------------------------------------------------- t interval, Spearman, one-sided binomial
# Statistics srbench uses outside pairwise accuracy: the Student-t interval
# of a mean over training seeds (ablate), Spearman's rho of a data-scaling
# curve (ablate) and the one-sided exact McNemar test of a CI gate (check).
# Their own generator, so the sections above keep their numbers.
rng3 = np.random.default_rng(20270115)

# Student-t interval: scipy.stats.t.interval(level, n-1, loc=mean,
# scale=sd/sqrt(n)) with sd the sample standard deviation (ddof=1). scipy
# wants scale > 0, so for equal values (sd = 0) the interval is the point
# [mean, mean] by definition. scipy 1.10's t quantile (cephes stdtrit) is
# only good to about 1e-9 relative (t_{0.995,3}: 5.84090929975643, the true
# value is 5.84090930973336), so the interval is also given with the
# quantile solved to 40 digits with mpmath (lo_mpmath, hi_mpmath).
mp.mp.dps = 40


def t_quantile(p, nu):
    def cdf(t):
        return 1 - mp.betainc(mp.mpf(nu) / 2, mp.mpf(1) / 2, 0, nu / (nu + t * t), regularized=True) / 2
    return mp.findroot(lambda t: cdf(t) - mp.mpf(p), stats.t.ppf(p, nu))


t_cases = [
    ("three-seeds", [0.60, 0.65, 0.70], 0.95),  # t_{0.975,2} = 4.3027
    ("one-to-five", [1.0, 2.0, 3.0, 4.0, 5.0], 0.95),  # t_{0.975,4} = 2.7764
    ("two-values", [0.5, 0.7], 0.95),
    ("two-values-90", [0.5, 0.7], 0.90),
    ("equal-values", [0.62, 0.62, 0.62], 0.95),
    ("negative", [-3.5, -1.25, 0.0, 2.5], 0.99),
]
for i in range(6):
    n = int(rng3.integers(2, 12))
    xs = [f(v) for v in rng3.normal(0.65, 0.03, n)]
    t_cases.append((f"random-{i}", xs, float(rng3.choice([0.8, 0.9, 0.95, 0.99]))))
out["t_interval"] = {"mpmath": mp.__version__, "cases": []}
for name, xs, level in t_cases:
    a = np.array(xs)
    n = len(a)
    mean, sd = a.mean(), a.std(ddof=1)
    lo, hi = stats.t.interval(level, n - 1, loc=mean, scale=sd / math.sqrt(n)) if sd > 0 else (mean, mean)
    h = t_quantile((1 + level) / 2, n - 1) * mp.mpf(f(sd)) / mp.sqrt(n)
    out["t_interval"]["cases"].append({"name": name, "x": list(map(f, xs)), "level": level, "mean": f(mean),
                                       "sd": f(sd), "lo": f(lo), "hi": f(hi),
                                       "lo_mpmath": f(mp.mpf(f(mean)) - h), "hi_mpmath": f(mp.mpf(f(mean)) + h)})

# Spearman's rho with ties: scipy.stats.spearmanr, and the mid-ranks
# scipy.stats.rankdata(method="average").
sp_cases = [
    ("textbook-tie", [1, 2, 3, 4, 5], [5, 6, 7, 8, 7]),
    ("reversed", [1, 2, 3], [3, 2, 1]),
    ("two", [0.1, 0.2], [5.0, 4.0]),
    ("ties-both", [1, 2, 2, 3, 3, 3, 4], [2, 1, 2, 3, 3, 4, 4]),
    ("scaling-curve", [250, 500, 1000, 2000], [0.61, 0.64, 0.64, 0.66]),
]
x = np.round(rng3.normal(size=40), 0)
sp_cases.append(("n40-heavy-ties", x, np.round(0.5 * x + rng3.normal(size=40), 0)))
x = np.round(rng3.normal(size=300), 1)
sp_cases.append(("n300-ties", x, np.round(-0.3 * x + rng3.normal(size=300), 1)))
x = rng3.normal(size=100)
sp_cases.append(("n100-continuous", x, np.exp(x) + rng3.normal(scale=0.5, size=100)))
out["spearman"] = []
for name, xs, ys in sp_cases:
    r = stats.spearmanr(xs, ys)
    out["spearman"].append({"name": name, "x": list(map(f, xs)), "y": list(map(f, ys)),
                            "rho": f(r.correlation),
                            "rank_x": list(map(f, stats.rankdata(xs, method="average"))),
                            "rank_y": list(map(f, stats.rankdata(ys, method="average")))})

# One-sided exact McNemar: b discordant pairs favour the first scorer, c the
# second; scipy.stats.binomtest(b, b+c, 0.5) with alternative "greater" (the
# second is worse) and "less", and statsmodels' two-sided
# mcnemar(exact=True). b+c = 0 has no binomial test (srbench defines p = 1).
bt_cases = [(1, 0), (0, 1), (12, 0), (6, 0), (6, 1), (10, 10), (36, 24), (24, 36),
            (91, 60), (60, 91), (102, 62), (5, 20), (200, 150), (1000, 900), (3, 2)]
for _ in range(5):
    m = int(rng3.integers(1, 3000))
    b = int(rng3.binomial(m, float(rng3.uniform(0.35, 0.65))))
    bt_cases.append((b, m - b))
out["binomtest"] = []
for b, c in bt_cases:
    out["binomtest"].append({"b": b, "c": c,
                             "greater": f(stats.binomtest(b, b + c, 0.5, alternative="greater").pvalue),
                             "less": f(stats.binomtest(b, b + c, 0.5, alternative="less").pvalue),
                             "mcnemar": f(mcnemar([[0, b], [c, 0]], exact=True).pvalue)})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
    fh.write("\n")
print("wrote", path)
