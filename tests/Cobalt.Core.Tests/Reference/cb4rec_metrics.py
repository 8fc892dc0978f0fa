"""The two-stage authors' evaluation metrics and threshold rule on fixed data, for Cobalt's parity test (CB4RecMetricParityTests).

Per-impression AUC, MRR, nDCG@5 and nDCG@10 from CB4Rec's utils/metrics.py compute_amn, and the simulator's THRES rule from
algorithms/nrms_sim.py (sklearn's precision_recall_curve, F = 2PR / (P + R), threshold at np.argmax(F)); Mengyanz/CB4Rec
@67f4029. Run from the repository root:

    PYTHONPATH=/path/to/CB4Rec python3 tests/Cobalt.Core.Tests/Reference/cb4rec_metrics.py \
        > tests/Cobalt.Core.Tests/Reference/cb4rec_metrics.json

(numpy 1.24 and scikit-learn 1.2.1 from Debian 12 produced the checked-in file.)
"""
import json
import sys
import warnings

import numpy as np
from sklearn.metrics import precision_recall_curve

from utils.metrics import compute_amn

rng = np.random.RandomState(11)
impressions = []
for _ in range(6):
    size = rng.randint(5, 25)
    labels = (rng.uniform(size=size) < 0.3).astype(int)
    labels[rng.randint(size)] = 1
    labels[(np.argmax(labels) + 1) % size] = 0  # at least one of each
    scores = rng.normal(size=size) + 0.8 * labels
    auc, mrr, ndcg5, ndcg10, _ = compute_amn(labels, scores)
    impressions.append({"labels": labels.tolist(), "scores": scores.tolist(), "auc": auc, "mrr": mrr, "ndcg5": ndcg5, "ndcg10": ndcg10})


def thres(labels, scores):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0/0 where precision and recall are both 0
        precision, recall, thresholds = precision_recall_curve(labels, scores)
        fscore = (2 * precision * recall) / (precision + recall)
    ix = np.argmax(fscore)
    return {"labels": labels.tolist(), "scores": scores.tolist(), "threshold": float(thresholds[ix]), "f1": None if np.isnan(fscore[ix]) else float(fscore[ix])}  # JSON has no NaN


pooled_labels = np.concatenate([np.array(i["labels"]) for i in impressions])
pooled_scores = np.concatenate([np.array(i["scores"]) for i in impressions])
top = np.argmax(pooled_scores)
# The rule as the authors ran it when the highest score is a positive, and when it is a negative: F is then 0/0 = NaN at
# the thresholds above every positive, and np.argmax returns the first NaN.
positive_on_top = pooled_labels.copy(); positive_on_top[top] = 1
negative_on_top = pooled_labels.copy(); negative_on_top[top] = 0
json.dump({
    "reference": "Mengyanz/CB4Rec @67f4029 utils/metrics.py compute_amn, algorithms/nrms_sim.py threshold rule",
    "impressions": impressions,
    "thresholdPositiveOnTop": thres(positive_on_top, pooled_scores),
    "thresholdNegativeOnTop": thres(negative_on_top, pooled_scores),
}, sys.stdout)
print()
