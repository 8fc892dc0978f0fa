"""Reference numbers for Cobalt's sub-Gaussian, balanced, marginalized estimators, 'iw'/'mrdr' reward fitting and intervals.

Builds a small deterministic log with numpy, runs Open Bandit Pipeline 0.5.5's own classes on it
(st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4) and VowpalWabbit/estimators' interval classes
(@ 8ce387134195a5b2381708bc420d0fb11b2c0e1a), and writes obp_estimators.json (the log itself included).

Command (from this folder; /work/obp holds OBP 0.5.5, /tmp/vwest/src the estimators repo's src/):
    PYTHONPATH=/work/obp:/tmp/vwest/src /usr/bin/python3 obp_estimators.py
(numpy 1.24, scipy 1.10, scikit-learn 1.2.1)

Every scikit-learn LogisticRegression here uses solver="newton-cg" at tol 1e-12: the default L-BFGS stops on its
function-change test about 2e-4 from the optimum on this log, which would hide whether Cobalt fits the same objective.
"""
import json
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")

from obp.ope import (  # noqa: E402
    BalancedInverseProbabilityWeighting,
    DoublyRobust,
    ImportanceWeightEstimator,
    InverseProbabilityWeighting,
    MarginalizedInverseProbabilityWeighting,
    RegressionModel,
    SelfNormalizedMarginalizedInverseProbabilityWeighting,
    SubGaussianDoublyRobust,
    SubGaussianInverseProbabilityWeighting,
)
from estimators.bandits import cressieread, cs, gaussian  # noqa: E402

rng = np.random.default_rng(20261206)
n, k, d, n_dim, n_cat = 400, 5, 3, 2, 3


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


context = np.round(rng.normal(size=(n, d)), 6)
pi_b = softmax(context @ rng.normal(size=(d, k)) * 0.7)
pi_e = 0.8 * softmax(context @ rng.normal(size=(d, k)) * 1.5) + 0.2 / k
action = np.array([rng.choice(k, p=pi_b[i]) for i in range(n)])
pscore = pi_b[np.arange(n), action]
# p(e_j = c | a): each action leans to one category per dimension.
p_e_a = np.full((k, n_cat, n_dim), 0.1)
for a in range(k):
    for j in range(n_dim):
        p_e_a[a, (a + j) % n_cat, j] = 0.8
action_embed = np.array([[rng.choice(n_cat, p=p_e_a[action[i], :, j]) for j in range(n_dim)] for i in range(n)])
theta = rng.normal(size=d)
effect = rng.normal(size=(n_dim, n_cat))
logit = context @ theta - 0.5 + effect[0, action_embed[:, 0]] + effect[1, action_embed[:, 1]]
reward = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
q_hat = 1 / (1 + np.exp(-(context @ rng.normal(size=(d, k)) * 0.5 - 0.4)))
q_hat = np.round(q_hat, 6)

ad = pi_e[:, :, None]
qh = q_hat[:, :, None]
out = {
    "log": {
        "context": context.tolist(), "action": action.tolist(), "reward": reward.tolist(),
        "pscore": pscore.tolist(), "pi_b": pi_b.tolist(), "pi_e": pi_e.tolist(), "q_hat": q_hat.tolist(),
        "action_embed": action_embed.tolist(), "p_e_a": p_e_a.tolist(),
    },
    "ips": InverseProbabilityWeighting().estimate_policy_value(reward=reward, action=action, pscore=pscore, action_dist=ad),
    "dr": DoublyRobust().estimate_policy_value(reward=reward, action=action, pscore=pscore, action_dist=ad, estimated_rewards_by_reg_model=qh),
    "sg_ips": {}, "sg_dr": {},
}
for lam in [0.0, 0.1, 0.5, 1.0]:
    out["sg_ips"][str(lam)] = SubGaussianInverseProbabilityWeighting(lambda_=lam).estimate_policy_value(
        reward=reward, action=action, pscore=pscore, action_dist=ad)
    out["sg_dr"][str(lam)] = SubGaussianDoublyRobust(lambda_=lam).estimate_policy_value(
        reward=reward, action=action, pscore=pscore, action_dist=ad, estimated_rewards_by_reg_model=qh)

# Balanced IPW: classifier weights, 'raw' fitting, no calibration, one fold, tightly converged logistic regression.
iwe = ImportanceWeightEstimator(
    base_model=LogisticRegression(C=1.0, solver="newton-cg", tol=1e-12, max_iter=10000), n_actions=k,
    fitting_method="raw", calibration_cv=0)
w_hat = iwe.fit_predict(context=context, action=action, action_dist=ad, n_folds=1, random_state=0)
out["bipw_weights"] = w_hat.tolist()
out["bipw"] = {
    "inf": BalancedInverseProbabilityWeighting().estimate_policy_value(reward=reward, action=action, action_dist=ad, estimated_importance_weights=w_hat),
    "2.0": BalancedInverseProbabilityWeighting(lambda_=2.0).estimate_policy_value(reward=reward, action=action, action_dist=ad, estimated_importance_weights=w_hat),
}

# Marginalized IPS: exact weights from p(e | a), and weights from a multinomial logistic pi(a | x, e).
pb, pe = pi_b[:, :, None], ad
out["mips_exact"] = MarginalizedInverseProbabilityWeighting(n_actions=k).estimate_policy_value(
    reward=reward, action=action, action_embed=action_embed, pi_b=pb, action_dist=pe, p_e_a=p_e_a)
out["snmips_exact"] = SelfNormalizedMarginalizedInverseProbabilityWeighting(n_actions=k).estimate_policy_value(
    reward=reward, action=action, action_embed=action_embed, pi_b=pb, action_dist=pe, p_e_a=p_e_a)
clf = LogisticRegression(C=1.0, solver="newton-cg", tol=1e-12, max_iter=10000, random_state=12345)
mips = MarginalizedInverseProbabilityWeighting(n_actions=k, pi_a_x_e_estimator=clf)
out["mips_estimated"] = mips.estimate_policy_value(
    reward=reward, action=action, action_embed=action_embed, pi_b=pb, action_dist=pe, context=context)
out["mips_estimated_weights"] = mips._estimate_w_x_e(
    context=context, action=action, action_embed=action_embed, pi_e=pi_e, pi_b=pi_b).tolist()
clf2 = LogisticRegression(C=1.0, solver="newton-cg", tol=1e-12, max_iter=10000, random_state=12345)
out["snmips_estimated"] = SelfNormalizedMarginalizedInverseProbabilityWeighting(n_actions=k, pi_a_x_e_estimator=clf2).estimate_policy_value(
    reward=reward, action=action, action_embed=action_embed, pi_b=pb, action_dist=pe, context=context)


class CobaltFeatures(RegressionModel):
    """OBP's RegressionModel over Cobalt's reward features phi = [x, onehot(a), onehot(p), x (x) onehot(a), 1] (one slot)."""

    def _pre_process_for_reg_model(self, context, action, action_context):
        m = context.shape[0]
        onehot = np.eye(k)[action]
        inter = (context[:, None, :] * onehot[:, :, None]).reshape(m, k * d)
        return np.c_[context, onehot, np.ones(m), inter, np.ones(m)]


ridge = 1.0
out["reward_models"] = {}
for method in ["normal", "iw", "mrdr"]:
    reg = CobaltFeatures(
        n_actions=k, len_list=1, fitting_method=method,
        base_model=LogisticRegression(C=1 / ridge, fit_intercept=False, solver="newton-cg", tol=1e-12, max_iter=10000))
    q = reg.fit_predict(context=context, action=action, reward=reward, pscore=pscore, action_dist=ad, n_folds=1)
    out["reward_models"][method] = q[:, :, 0].tolist()

# Intervals of VowpalWabbit/estimators on the IPS pairs (w, r).
out["intervals"] = {}
for alpha in [0.05, 0.1]:
    g, el, elw, c = gaussian.Interval(), cressieread.Interval(), cressieread.Interval(wmax=50.0), cs.Interval()
    for i in range(n):
        p_pred = pi_e[i, action[i]]
        for est in (g, el, elw, c):
            est.add_example(p_log=pscore[i], r=reward[i], p_pred=p_pred)
    out["intervals"][str(alpha)] = {
        "gaussian": list(g.get(alpha)), "empirical_likelihood": list(el.get(alpha)),
        "empirical_likelihood_wmax50": list(elw.get(alpha)), "betting_cs": list(c.get(alpha)),
    }
# VW's Cressie-Read point estimate.
out["cressie_read"] = {}
for key, wmax in [("inf", np.inf), ("50", 50.0)]:
    est = cressieread.Estimator(wmax=wmax)
    for i in range(n):
        est.add_example(p_log=pscore[i], r=reward[i], p_pred=pi_e[i, action[i]])
    out["cressie_read"][key] = est.get()
# Empirical Bernstein (Maurer and Pontil 2009, Theorem 4, two-sided) on the IPS terms with weights bounded by 10, by numpy.
terms = pi_e[np.arange(n), action] / pscore * reward
for alpha in [0.05, 0.1]:
    lg = np.log(4 / alpha)
    half = np.sqrt(2 * terms.var(ddof=1) * lg / n) + 7 * 10.0 * lg / (3 * (n - 1))
    out["intervals"][str(alpha)]["bernstein_w10"] = [max(0.0, terms.mean() - half), min(10.0, terms.mean() + half)]

# Embedding selection: two more embedding dimensions that follow the action but do not move the reward.
p_e_a4 = np.concatenate([p_e_a, np.full((k, n_cat, 2), 0.1)], axis=2)
for a in range(k):
    for j in range(2, 4):
        p_e_a4[a, (2 * a + j) % n_cat, j] = 0.8
extra = np.array([[rng.choice(n_cat, p=p_e_a4[action[i], :, j]) for j in range(2, 4)] for i in range(n)])
action_embed4 = np.c_[action_embed, extra]
out["log"]["action_embed4"] = action_embed4.tolist()
out["log"]["p_e_a4"] = p_e_a4.tolist()
out["mips_selection"] = {}
for method in ["exact", "greedy"]:
    out["mips_selection"][method + "_known"] = MarginalizedInverseProbabilityWeighting(n_actions=k, embedding_selection_method=method).estimate_policy_value(
        reward=reward, action=action, action_embed=action_embed4, pi_b=pb, action_dist=pe, p_e_a=p_e_a4)
    clf3 = LogisticRegression(C=1.0, solver="newton-cg", tol=1e-12, max_iter=10000, random_state=12345)
    out["mips_selection"][method + "_estimated"] = MarginalizedInverseProbabilityWeighting(
        n_actions=k, pi_a_x_e_estimator=clf3, embedding_selection_method=method).estimate_policy_value(
        reward=reward, action=action, action_embed=action_embed4, pi_b=pb, action_dist=pe, context=context)
out["mips_all4_known"] = MarginalizedInverseProbabilityWeighting(n_actions=k).estimate_policy_value(
    reward=reward, action=action, action_embed=action_embed4, pi_b=pb, action_dist=pe, p_e_a=p_e_a4)

with open("obp_estimators.json", "w") as f:
    json.dump(out, f)
print({key: out[key] for key in ["ips", "dr", "sg_ips", "sg_dr", "bipw", "mips_exact", "snmips_exact", "mips_estimated", "snmips_estimated"]})
print(out["intervals"], out["cressie_read"])
print(out["mips_selection"], out["mips_all4_known"])
print("max weight", (pi_e[np.arange(n), action] / pscore).max())
