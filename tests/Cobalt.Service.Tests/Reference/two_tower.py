"""Exports a small two-tower model to ONNX for Cobalt's ONNX loop tests, with PyTorch's own embeddings of fixed inputs.

Run from the repository root (Debian's python3-torch 1.13 is enough; torch.onnx.export needs no onnx package):
    /usr/bin/python3 tests/Cobalt.Service.Tests/Reference/two_tower.py
It writes two_tower.onnx (inputs "context" [1, 6] and "actions" [n, 5]; outputs "user" [1, 4] and "items" [n, 4]) and
two_tower.json (the inputs and PyTorch's outputs, float32 values written as float64 text) beside this script.
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXT, ACTION, EMBEDDING = 6, 5, 4


class TwoTower(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.user = torch.nn.Sequential(torch.nn.Linear(CONTEXT, 8), torch.nn.Tanh(), torch.nn.Linear(8, EMBEDDING))
        self.item = torch.nn.Sequential(torch.nn.Linear(ACTION, 8), torch.nn.ReLU(), torch.nn.Linear(8, EMBEDDING))

    def forward(self, context, actions):
        return self.user(context), self.item(actions)


def main():
    torch.manual_seed(20261206)
    model = TwoTower().eval()
    context = torch.randn(1, CONTEXT)
    actions = torch.randn(3, ACTION)
    torch.onnx.export(model, (context, actions), os.path.join(HERE, "two_tower.onnx"),
                      input_names=["context", "actions"], output_names=["user", "items"],
                      dynamic_axes={"actions": {0: "n"}, "items": {0: "n"}}, opset_version=13)
    cases = []
    for n in (3, 1, 7):
        c = torch.randn(1, CONTEXT)
        a = torch.randn(n, ACTION)
        with torch.no_grad():
            u, v = model(c, a)
        cases.append({"context": c[0].tolist(), "actions": a.tolist(), "user": u[0].tolist(), "items": v.tolist()})
    with open(os.path.join(HERE, "two_tower.json"), "w") as f:
        json.dump({"torch": torch.__version__, "seed": 20261206, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
