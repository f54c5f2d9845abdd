#!/usr/bin/python3
"""Reference AdamW steps for harness/train's optimizer test.

An independent re-statement, in plain Python floats, of the update rule of
torch.optim.AdamW (single-tensor path, amsgrad=False, maximize=False):
  param *= 1 - lr*wd                     (decayed tensors only)
  m = m + (1-b1)*(g - m)                 (exp_avg.lerp_(grad, 1-beta1))
  v = v*b2 + (1-b2)*g*g                  (exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2))
  step_size = lr / (1 - b1**t)
  denom = sqrt(v) / sqrt(1 - b2**t) + eps
  param += -step_size * (m / denom)      (param.addcdiv_(m, denom, value=-step_size))
Run: /usr/bin/python3 adamw_ref.py > adamw_ref.json
"""
import json
import math

opts = dict(lr=0.05, beta1=0.8, beta2=0.95, eps=1e-6, weight_decay=0.1)
tensors = [
    dict(name="W", decay=True, init=[1.0, -0.5, 0.25, 2.0]),
    dict(name="b", decay=False, init=[0.0, 0.3]),
]
# gradients per step, per tensor
grads = [
    [[0.5, -1.0, 0.0, 3.0], [0.1, -0.2]],
    [[-0.25, 0.75, 1e-3, -2.0], [0.0, 0.4]],
    [[1.5, 0.5, -1e-3, 0.5], [-0.3, 0.05]],
]

lr, b1, b2, eps, wd = (opts[k] for k in ("lr", "beta1", "beta2", "eps", "weight_decay"))
params = [list(t["init"]) for t in tensors]
m = [[0.0] * len(p) for p in params]
v = [[0.0] * len(p) for p in params]
after = []
for t, gs in enumerate(grads, start=1):
    bc1 = 1 - b1 ** t
    bc2 = 1 - b2 ** t
    step_size = lr / bc1
    bc2_sqrt = math.sqrt(bc2)
    for i, (p, g) in enumerate(zip(params, gs)):
        for k in range(len(p)):
            if tensors[i]["decay"]:
                p[k] *= 1 - lr * wd
            m[i][k] = m[i][k] + (1 - b1) * (g[k] - m[i][k])
            v[i][k] = v[i][k] * b2 + (1 - b2) * g[k] * g[k]
            denom = math.sqrt(v[i][k]) / bc2_sqrt + eps
            p[k] += -step_size * (m[i][k] / denom)
    after.append([list(p) for p in params])

print(json.dumps(dict(options=opts, tensors=tensors, grads=grads, params_after_step=after), indent=1))
