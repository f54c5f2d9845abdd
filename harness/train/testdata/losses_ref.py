#!/usr/bin/python3
"""Reference loss values for harness/train's loss tests, computed with numpy
straight from the formulas (not from srbench's code).

Model: a Linear adapter on the text side (y = W x + b) and on the image side
(W2, b2). Anchors a = normalise(W t + b), positives p and negatives n =
normalise(W2 x + b2). With triplet weights w (normalised to sum 1):
  triplet  = sum_i w_i relu(|a_i - p_i|^2 - |a_i - n_i|^2 + margin)
  logistic = sum_i w_i softplus(-s (a_i.p_i - a_i.n_i))
  infonce  = sum_i w_i CE(softmax([a_i.p_j / tau]_j ++ [a_i.n_j / tau]_j), i)
Run: /usr/bin/python3 losses_ref.py > losses_ref.json
"""
import json
import numpy as np

rng = np.random.default_rng(7)
B, D = 5, 4
# float32 embeddings, as the cache stores them
text = rng.normal(size=(B, D)).astype(np.float32)
pos = rng.normal(size=(B, D)).astype(np.float32)
neg = rng.normal(size=(B, D)).astype(np.float32)
weights = [1.0, 2.0, 0.5, 1.0, 3.0]
Wt = np.eye(D) + 0.3 * rng.normal(size=(D, D))
bt = 0.1 * rng.normal(size=D)
Wi = np.eye(D) + 0.3 * rng.normal(size=(D, D))
bi = 0.1 * rng.normal(size=D)

def norm(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)

a = norm(text.astype(np.float64) @ Wt.T + bt)
p = norm(pos.astype(np.float64) @ Wi.T + bi)
n = norm(neg.astype(np.float64) @ Wi.T + bi)
w = np.array(weights) / np.sum(weights)

margin, scale, tau = 0.3, 10.0, 0.07
trip = np.maximum(np.sum((a - p) ** 2, 1) - np.sum((a - n) ** 2, 1) + margin, 0)
diff = np.sum(a * p, 1) - np.sum(a * n, 1)
logi = np.logaddexp(0, -scale * diff)
logits = np.concatenate([a @ p.T, a @ n.T], axis=1) / tau
lse = np.log(np.sum(np.exp(logits - logits.max(1, keepdims=True)), 1)) + logits.max(1)
nce = lse - logits[np.arange(B), np.arange(B)]
acc = float(np.sum(w * (np.sum(a * p, 1) >= np.sum(a * n, 1))))

out = dict(
    text=text.tolist(), pos=pos.tolist(), neg=neg.tolist(), weights=weights,
    text_W=Wt.tolist(), text_b=bt.tolist(), image_W=Wi.tolist(), image_b=bi.tolist(),
    margin=margin, scale=scale, temperature=tau,
    triplet=float(np.sum(w * trip)), logistic=float(np.sum(w * logi)), infonce=float(np.sum(w * nce)),
    triplet_active=int(np.sum(trip > 0)), weighted_accuracy=acc,
)
print(json.dumps(out, indent=1))
