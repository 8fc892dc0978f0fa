"""Reference numbers for Cobalt's slate and continuous-action estimators, produced by Open Bandit Pipeline itself.

Builds two small deterministic logs with numpy (seeded), runs OBP 0.5.5's estimator classes on them
(st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4: obp/ope/estimators_slate.py,
obp/ope/regression_model_slate.py, obp/ope/estimators_continuous.py) and writes the logs and OBP's outputs to
obp_slate_continuous.json next to this script.

    PYTHONPATH=/work/obp /usr/bin/python3 tests/Cobalt.Evaluation.Tests/Reference/obp_slate_continuous.py
"""
import itertools
import json
import os

import numpy as np
from sklearn.linear_model import Ridge

from obp.ope import (
    SlateStandardIPS, SlateIndependentIPS, SlateRewardInteractionIPS, SlateCascadeDoublyRobust,
    SelfNormalizedSlateStandardIPS, SelfNormalizedSlateIndependentIPS, SelfNormalizedSlateRewardInteractionIPS,
    SlateRegressionModel, KernelizedInverseProbabilityWeighting, KernelizedSelfNormalizedInverseProbabilityWeighting,
    KernelizedDoublyRobust,
)

rng = np.random.default_rng(20261206)

# ---------------------------------------------------------------- slate log
n, L, K, d = 60, 3, 5, 3
context = rng.normal(size=(n, d))
wb = rng.normal(size=(d, K))  # behaviour logits x @ wb
we = rng.normal(size=(d, K)) * 1.5  # evaluation logits x @ we


def cascade_probs(logits, prefix):
    """Plackett-Luce: P(next = a | prefix), zero for actions already shown."""
    z = logits.copy()
    z[list(prefix)] = -np.inf
    z = np.exp(z - z[np.isfinite(z)].max())
    return z / z.sum()


def ranking_prob(logits, ranking):
    p = 1.0
    for l, a in enumerate(ranking):
        p *= cascade_probs(logits, ranking[:l])[a]
    return p


def item_position(logits):
    """Marginal P(action a at position l) by enumerating every ranking."""
    m = np.zeros((L, K))
    for ranking in itertools.permutations(range(K), L):
        p = ranking_prob(logits, ranking)
        for l, a in enumerate(ranking):
            m[l, a] += p
    return m


slate_id, position, action, reward = [], [], [], []
ps, ps_ip, ps_c, e_ps, e_ps_ip, e_ps_c, e_dist = [], [], [], [], [], [], []
for i in range(n):
    lb, le = context[i] @ wb, context[i] @ we
    ranking = []
    for l in range(L):
        ranking.append(int(rng.choice(K, p=cascade_probs(lb, ranking))))
    mb, me = item_position(lb), item_position(le)
    joint_b, joint_e = ranking_prob(lb, ranking), ranking_prob(le, ranking)
    click = 1 / (1 + np.exp(-(0.5 * context[i, 0] - 1.0 + 0.3 * np.arange(K))))
    for l, a in enumerate(ranking):
        slate_id.append(i)
        position.append(l)
        action.append(a)
        reward.append(float(rng.random() < click[a] * 0.8 ** l))
        ps.append(joint_b)
        e_ps.append(joint_e)
        ps_ip.append(mb[l, a])
        e_ps_ip.append(me[l, a])
        ps_c.append(ranking_prob(lb, ranking[: l + 1]))
        e_ps_c.append(ranking_prob(le, ranking[: l + 1]))
        e_dist.extend(cascade_probs(le, ranking[:l]).tolist())

slate_id, position, action = np.array(slate_id), np.array(position), np.array(action)
reward = np.array(reward)
ps, ps_ip, ps_c, e_ps, e_ps_ip, e_ps_c, e_dist = map(np.array, (ps, ps_ip, ps_c, e_ps, e_ps_ip, e_ps_c, e_dist))

slate = dict(
    rounds=n, len_list=L, n_actions=K, context=context.tolist(), slate_id=slate_id.tolist(), position=position.tolist(),
    action=action.tolist(), reward=reward.tolist(), pscore=ps.tolist(), pscore_item_position=ps_ip.tolist(),
    pscore_cascade=ps_c.tolist(), evaluation_policy_pscore=e_ps.tolist(),
    evaluation_policy_pscore_item_position=e_ps_ip.tolist(), evaluation_policy_pscore_cascade=e_ps_c.tolist(),
    evaluation_policy_action_dist=e_dist.tolist(),
)
common = dict(slate_id=slate_id, reward=reward, position=position)
estimates = {
    "sips": SlateStandardIPS(len_list=L).estimate_policy_value(pscore=ps, evaluation_policy_pscore=e_ps, **common),
    "snsips": SelfNormalizedSlateStandardIPS(len_list=L).estimate_policy_value(pscore=ps, evaluation_policy_pscore=e_ps, **common),
    "iips": SlateIndependentIPS(len_list=L).estimate_policy_value(
        pscore_item_position=ps_ip, evaluation_policy_pscore_item_position=e_ps_ip, **common),
    "sniips": SelfNormalizedSlateIndependentIPS(len_list=L).estimate_policy_value(
        pscore_item_position=ps_ip, evaluation_policy_pscore_item_position=e_ps_ip, **common),
    "rips": SlateRewardInteractionIPS(len_list=L).estimate_policy_value(
        pscore_cascade=ps_c, evaluation_policy_pscore_cascade=e_ps_c, **common),
    "snrips": SelfNormalizedSlateRewardInteractionIPS(len_list=L).estimate_policy_value(
        pscore_cascade=ps_c, evaluation_policy_pscore_cascade=e_ps_c, **common),
}
# Cascade-DR with a fixed, hand-made q_hat (the estimator's formula alone) ...
q_fixed = np.sin(np.arange(n * L * K) * 0.37) * 0.2 + 0.3
cdr = SlateCascadeDoublyRobust(len_list=L, n_unique_action=K)
estimates["cascade-dr/fixed-q"] = cdr.estimate_policy_value(
    action=action, pscore_cascade=ps_c, evaluation_policy_pscore_cascade=e_ps_c, q_hat=q_fixed,
    evaluation_policy_action_dist=e_dist, **common)
# ... and with OBP's per-position Q regression (ridge, alpha = 1, intercept unpenalised), plain and importance-weighted.
q_hats = {}
for method in ("normal", "iw"):
    model = SlateRegressionModel(base_model=Ridge(alpha=1.0), len_list=L, n_unique_action=K, fitting_method=method)
    q = model.fit_predict(context=context, action=action, reward=reward, pscore_cascade=ps_c,
                          evaluation_policy_pscore_cascade=e_ps_c, evaluation_policy_action_dist=e_dist)
    q_hats[method] = q.tolist()
    estimates[f"cascade-dr/ridge-{method}"] = cdr.estimate_policy_value(
        action=action, pscore_cascade=ps_c, evaluation_policy_pscore_cascade=e_ps_c, q_hat=q,
        evaluation_policy_action_dist=e_dist, **common)
slate["q_hat_fixed"] = q_fixed.tolist()
slate["q_hat_ridge"] = q_hats
slate["estimates"] = {k: float(v) for k, v in estimates.items()}

# ---------------------------------------------------------------- continuous-action log
m = 80
xc = rng.normal(size=(m, 2))
mean_b = 0.5 * xc[:, 0] - 0.2 * xc[:, 1]
sigma = 0.8
a_b = mean_b + sigma * rng.normal(size=m)
density = np.exp(-((a_b - mean_b) ** 2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
a_e = 0.3 + 0.4 * xc[:, 1]
r_c = np.cos(a_b - xc[:, 0]) + 0.1 * rng.normal(size=m)
q_c = np.cos(a_e - xc[:, 0]) * 0.9 + 0.05
continuous = dict(rounds=m, context=xc.tolist(), action_by_behavior_policy=a_b.tolist(), pscore=density.tolist(),
                  action_by_evaluation_policy=a_e.tolist(), reward=r_c.tolist(), estimated_rewards_by_reg_model=q_c.tolist(),
                  estimates={})
for kernel in ("gaussian", "epanechnikov", "triangular", "cosine"):
    for h in (0.3, 1.0):
        args = dict(reward=r_c, action_by_behavior_policy=a_b, pscore=density, action_by_evaluation_policy=a_e)
        continuous["estimates"][f"kernelized-ipw/{kernel}/{h}"] = float(
            KernelizedInverseProbabilityWeighting(kernel=kernel, bandwidth=h).estimate_policy_value(**args))
        continuous["estimates"][f"kernelized-snipw/{kernel}/{h}"] = float(
            KernelizedSelfNormalizedInverseProbabilityWeighting(kernel=kernel, bandwidth=h).estimate_policy_value(**args))
        continuous["estimates"][f"kernelized-dr/{kernel}/{h}"] = float(
            KernelizedDoublyRobust(kernel=kernel, bandwidth=h).estimate_policy_value(
                estimated_rewards_by_reg_model=q_c, **args))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "obp_slate_continuous.json")
with open(out, "w") as f:
    json.dump(dict(obp="0.5.5 @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4", slate=slate, continuous=continuous), f)
print(json.dumps(slate["estimates"], indent=1))
print(json.dumps(continuous["estimates"], indent=1))
