"""Forward passes of the two-stage paper's authors' networks, for Cobalt's parity test (CB4RecParityTests).

Builds CB4Rec's NRMS_IPS_Model (the simulator) and NRMS_Topic_Model (the topic model) from the authors' own
algorithms/nrms_model.py (Mengyanz/CB4Rec @67f4029), fills every parameter with the formula
    w[i] = 0.05 * sin(0.731 * i + phase(name)),  phase(name) = 0.01 * sum of the name's character codes,
(i = flat index in PyTorch's row-major layout), runs them in eval mode (no dropout) in float64 on fixed inputs, and prints
the scores as JSON. Run from the repository root:

    PYTHONPATH=/path/to/CB4Rec python3 tests/Cobalt.Neural.Tests/Reference/cb4rec_nrms_forward.py \
        > tests/Cobalt.Neural.Tests/Reference/cb4rec_nrms_forward.json

(PyTorch 1.13 and numpy 1.24 from Debian 12 produced the checked-in file.)
"""
import contextlib
import json
import sys

import numpy as np
import torch

from algorithms.nrms_model import NRMS_IPS_Model, NRMS_Topic_Model

torch.set_default_dtype(torch.float64)
VOCABULARY, WORDS, TOPICS = 12, 300, 5


def fill(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            phase = 0.01 * sum(ord(c) for c in name)
            flat = torch.arange(p.numel(), dtype=torch.float64)
            p.copy_((0.05 * torch.sin(0.731 * flat + phase)).view_as(p))
    return model.double().eval()


# Titles of 6 tokens, padded with word 0; title 0 is the padding item (no tokens), as CB4Rec's news index 0.
titles = np.array([
    [0, 0, 0, 0, 0, 0],
    [3, 5, 7, 0, 0, 0],
    [1, 2, 0, 0, 0, 0],
    [4, 4, 9, 11, 2, 0],
    [10, 6, 0, 0, 0, 0],
    [8, 1, 5, 3, 7, 2],
])
histories = [[1, 3, 0, 0], [5, 2, 4, 1], [0, 0, 0, 0]]  # padded with item 0; the last is an empty history
candidates = [[2, 4, 5], [1, 3, 2], [3, 5, 4]]
topic_candidates = [[0, 3], [4, 1], [2, 2]]
embedding = np.zeros((VOCABULARY, WORDS))  # overwritten by fill()

clicked = torch.tensor(titles[np.array(histories)])
with torch.no_grad():
    simulator = fill(NRMS_IPS_Model(embedding))
    sim_scores = simulator(torch.tensor(titles[np.array(candidates)]), clicked, None, None, compute_loss=False)
    with contextlib.redirect_stdout(sys.stderr):  # TopicEncoder prints its topic count
        topic = fill(NRMS_Topic_Model(embedding, False, num_categories=TOPICS))
    topic_scores = topic(torch.tensor(topic_candidates), clicked, None, compute_loss=False)

# The authors' softmaxes divide by (sum + 1e-8) (ScaledDotProductAttention, AdditiveAttention); a second pass with that 1e-8
# set to 0 (a plain softmax) shows that it is the only difference left (Cobalt's softmax has none).
import algorithms.nrms_model as nrms_model


def plain_softmax_forward(forward):
    def run(*args, **kwargs):
        real_sum = torch.sum
        torch.sum = lambda x, *a, **k: real_sum(x, *a, **k) - 1e-8
        try:
            return forward(*args, **kwargs)
        finally:
            torch.sum = real_sum
    return run


nrms_model.ScaledDotProductAttention.forward = plain_softmax_forward(nrms_model.ScaledDotProductAttention.forward)
nrms_model.AdditiveAttention.forward = plain_softmax_forward(nrms_model.AdditiveAttention.forward)
with torch.no_grad():
    sim_plain = simulator(torch.tensor(titles[np.array(candidates)]), clicked, None, None, compute_loss=False)
    topic_plain = topic(torch.tensor(topic_candidates), clicked, None, compute_loss=False)

json.dump({
    "reference": "Mengyanz/CB4Rec @67f4029 algorithms/nrms_model.py; torch " + torch.__version__,
    "titles": titles.tolist(), "histories": histories, "candidates": candidates, "topicCandidates": topic_candidates,
    "vocabulary": VOCABULARY, "words": WORDS, "topics": TOPICS,
    "simulatorScores": sim_scores.tolist(), "topicScores": topic_scores.tolist(),
    "simulatorScoresPlainSoftmax": sim_plain.tolist(), "topicScoresPlainSoftmax": topic_plain.tolist(),
    "parameters": {name: list(p.shape) for name, p in topic.named_parameters()},
    "simulatorParameters": {name: list(p.shape) for name, p in simulator.named_parameters()},
}, sys.stdout)
print()
