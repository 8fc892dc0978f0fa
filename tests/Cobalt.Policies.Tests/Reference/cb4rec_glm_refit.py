"""Two refits of the two-stage authors' GLMs, for Cobalt's parity test (CB4RecGlmParityTests).

Runs CB4Rec's LogisticRegressionAddtive and LogisticRegressionBilinear (algorithms/lr_model.py, Mengyanz/CB4Rec @67f4029)
through the refit of algorithms/proposed.py and neural_linear.py train_lr: a fresh Adam (lr = glm_lr = 0.01) per refit,
`epochs` (5) full-batch steps of BCELoss on the sigmoid outputs, warm-started from the current weights. Two refits in a row on
fixed samples (the refit's negative sampling is not part of this check). float64. Run from the repository root:

    PYTHONPATH=/path/to/CB4Rec python3 tests/Cobalt.Policies.Tests/Reference/cb4rec_glm_refit.py \
        > tests/Cobalt.Policies.Tests/Reference/cb4rec_glm_refit.json

(PyTorch 1.13 and numpy 1.24 from Debian 12 produced the checked-in file.)
"""
import json
import sys

import numpy as np
import torch
import torch.optim as optim

from algorithms.lr_model import LogisticRegressionAddtive, LogisticRegressionBilinear

torch.set_default_dtype(torch.float64)
N, D1, D2, LR, EPOCHS = 12, 3, 4, 0.01, 5
rng = np.random.RandomState(7)
x = rng.normal(size=(N, D1))
zs = {"additive": rng.normal(size=(N, D1)), "bilinear": rng.normal(size=(N, D2))}  # the additive model needs d2 = d1
y = (rng.uniform(size=N) < 0.4).astype(float)


def fill(model):
    with torch.no_grad():
        for i, (name, p) in enumerate(model.named_parameters()):
            p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=tuple(p.shape))))
    return model


def refit(model, z):
    # train_lr: a new optimiser per refit, then `epochs` full-batch steps.
    optimizer = optim.Adam(model.parameters(), lr=LR)
    criterion = torch.nn.BCELoss()
    model.train()
    for _ in range(EPOCHS):
        loss = criterion(model(torch.tensor(x), torch.tensor(z)).ravel(), torch.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def state(model):
    return {name: p.detach().numpy().ravel().tolist() for name, p in model.named_parameters()}


out = {"reference": "Mengyanz/CB4Rec @67f4029 algorithms/lr_model.py, train_lr; torch " + torch.__version__,
       "x": x.ravel().tolist(), "z": {k: v.ravel().tolist() for k, v in zs.items()}, "y": y.tolist(), "d1": D1, "d2": D2, "learningRate": LR, "epochs": EPOCHS}
for key, model in (("additive", LogisticRegressionAddtive(D1, 1)), ("bilinear", LogisticRegressionBilinear(D1, D2, 1))):
    fill(model)
    out[key] = {"initial": state(model), "names": [name for name, _ in model.named_parameters()]}
    refit(model, zs[key])
    out[key]["afterOne"] = state(model)
    refit(model, zs[key])
    out[key]["afterTwo"] = state(model)
json.dump(out, sys.stdout)
print()
