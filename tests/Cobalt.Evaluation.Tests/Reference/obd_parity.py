"""Open Bandit Pipeline 0.5.5's own numbers on the shipped Open Bandit Dataset sample, for Cobalt's `--like obp` parity tests.

Run from the repository root with OBP 0.5.5 (st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4) importable
(numpy 1.24, scipy 1.10, scikit-learn 1.2.1):

    PYTHONPATH=/path/to/zr-obp python3 tests/Cobalt.Evaluation.Tests/Reference/obd_parity.py \
        > tests/Cobalt.Evaluation.Tests/Reference/obd_parity.json

Settings are those of OBP's examples/obd/evaluate_off_policy_estimators.py and conf/hyperparams.yaml:
LogisticRegression(C=100, max_iter=10000, random_state=12345), RegressionModel.fit_predict(n_folds=3,
random_state=12345), BernoulliTS(is_zozotown_prior=True, campaign, random_state=12345).compute_batch_action_dist(
n_sim=1e6), SLOPE lambdas [10, 50, 100, 500, 1000, 5000, 10000, inf]. Unlike that example, the whole log is used
(obtain_batch_bandit_feedback), not a bootstrap resample of it. Intervals: OffPolicyEvaluation.estimate_intervals
(alpha=0.05, n_bootstrap_samples=100, random_state=12345). Also recorded: the fixed-q-hat runs (estimators isolated from
the solver) and the pipeline with the logistic regressions solved to convergence by newton-cg.
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from obp.dataset import OpenBanditDataset
from obp.ope import (DirectMethod, DoublyRobust, DoublyRobustWithShrinkage, DoublyRobustWithShrinkageTuning,
                     InverseProbabilityWeighting, InverseProbabilityWeightingTuning, OffPolicyEvaluation,
                     RegressionModel, ReplayMethod, SelfNormalizedDoublyRobust,
                     SelfNormalizedInverseProbabilityWeighting, SwitchDoublyRobustTuning)
from obp.policy import BernoulliTS, Random

DATA = "data/open-bandit-dataset-sample"
SEED = 12345
LAMBDAS = [10, 50, 100, 500, 1000, 5000, 10000, np.inf]
N_SIM = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def fl(x):
    return [float(v) for v in np.ravel(x)]


def estimators():
    return [
        ReplayMethod(),
        DirectMethod(),
        InverseProbabilityWeighting(),
        InverseProbabilityWeightingTuning(lambdas=list(LAMBDAS), estimator_name="clipped-ipw"),
        SelfNormalizedInverseProbabilityWeighting(),
        DoublyRobust(),
        SelfNormalizedDoublyRobust(),
        SwitchDoublyRobustTuning(lambdas=list(LAMBDAS)),
        DoublyRobustWithShrinkageTuning(lambdas=list(LAMBDAS)),
        DoublyRobustWithShrinkage(lambda_=np.inf, estimator_name="dr-os-inf"),
    ]


out = {"n_sim": N_SIM, "seed": SEED, "lambdas": [str(l) for l in LAMBDAS], "campaigns": {}}
for campaign in ["men", "women"]:
    c = {}
    bts_policy = BernoulliTS(n_actions=34 if campaign == "men" else 46, len_list=3, random_state=SEED,
                             is_zozotown_prior=True, campaign=campaign)
    bts_dist = bts_policy.compute_batch_action_dist(n_sim=N_SIM)[0]
    small = BernoulliTS(n_actions=bts_policy.n_actions, len_list=3, random_state=SEED, is_zozotown_prior=True,
                        campaign=campaign).compute_batch_action_dist(n_sim=1000)[0]
    c["bts_action_dist"] = fl(bts_dist)  # (n_actions, len_list) row-major
    c["bts_action_dist_1000"] = fl(small)
    for behavior in ["random", "bts"]:
        obd = OpenBanditDataset(behavior_policy=behavior, campaign=campaign, data_path=DATA)
        fb = obd.obtain_batch_bandit_feedback()
        n = fb["n_rounds"]
        log = {
            "n_rounds": int(n), "n_actions": int(fb["n_actions"]), "len_list": int(obd.len_list),
            "context_shape": list(fb["context"].shape), "action_context_shape": list(fb["action_context"].shape),
            "order": [int(i) for i in obd.data.index.values[7335:7350]],
            "action_head": [int(a) for a in fb["action"][:10]], "position_head": [int(p) for p in fb["position"][:10]],
            "reward_sum": float(fb["reward"].sum()), "pscore_head": fl(fb["pscore"][:5]),
            "context_rows": {str(t): fl(fb["context"][t]) for t in [0, 1, 7341, 7342, n - 1]},
            "context_column_sums": fl(fb["context"].sum(axis=0)),
            "action_context": fl(fb["action_context"]),
        }
        perm = np.arange(n)
        np.random.RandomState(SEED).shuffle(perm)
        log["shuffle_head"] = [int(i) for i in perm[:10]]
        log["shuffle_checksum"] = int((np.arange(n) * perm).sum())
        folds = [test for _, test in KFold(n_splits=3, shuffle=True, random_state=SEED).split(fb["context"])]
        log["fold_sizes"] = [len(f) for f in folds]
        log["fold0_head"] = [int(i) for i in folds[0][:10]]
        # One per-position fit (fold 0's training rows, position 0), as sklearn stops and at a tight tolerance.
        train = np.setdiff1d(np.arange(n), folds[0])
        at0 = train[fb["position"][train] == 0]
        X = np.c_[fb["context"][at0], fb["action_context"][fb["action"][at0]]]
        lr = LogisticRegression(C=100, max_iter=10000, random_state=SEED).fit(X, fb["reward"][at0])
        tight = LogisticRegression(C=100, max_iter=100000, tol=1e-12, random_state=SEED).fit(X, fb["reward"][at0])
        newton = LogisticRegression(C=100, solver="newton-cg", tol=1e-10, max_iter=1000).fit(X, fb["reward"][at0])
        log["fit_fold0_pos0_newton_cg"] = {"coef": fl(newton.coef_), "intercept": float(newton.intercept_[0])}
        log["fit_fold0_pos0"] = {"rows": int(len(at0)), "coef": fl(lr.coef_), "intercept": float(lr.intercept_[0]),
                                 "n_iter": int(lr.n_iter_[0]), "tight_coef": fl(tight.coef_),
                                 "tight_intercept": float(tight.intercept_[0])}
        reg = RegressionModel(n_actions=obd.n_actions, len_list=obd.len_list, action_context=obd.action_context,
                              base_model=LogisticRegression(C=100, max_iter=10000, random_state=SEED))
        q_hat = reg.fit_predict(context=fb["context"], action=fb["action"], reward=fb["reward"],
                                position=fb["position"], pscore=fb["pscore"], n_folds=3, random_state=SEED)
        at_pos = q_hat[np.arange(n), :, fb["position"]]
        log["q_hat_rows"] = {str(t): fl(at_pos[t]) for t in [0, 1, 5000, n - 1]}
        log["q_hat_mean"] = float(at_pos.mean())
        c[behavior] = log
        evaluation = "bts" if behavior == "random" else "random"
        if evaluation == "bts":
            action_dist = np.tile(bts_dist, (n, 1, 1))
        else:
            action_dist = Random(n_actions=obd.n_actions, len_list=obd.len_list, random_state=SEED) \
                .compute_batch_action_dist(n_rounds=n)
        ests = estimators()
        ope = OffPolicyEvaluation(bandit_feedback=fb, ope_estimators=ests)
        values = ope.estimate_policy_values(action_dist=action_dist, estimated_rewards_by_reg_model=q_hat)
        intervals = OffPolicyEvaluation(bandit_feedback=fb, ope_estimators=estimators()).estimate_intervals(
            action_dist=action_dist, estimated_rewards_by_reg_model=q_hat, alpha=0.05, n_bootstrap_samples=100,
            random_state=SEED)
        task = {"on_policy": float(OpenBanditDataset(behavior_policy=evaluation, campaign=campaign,
                                                     data_path=DATA).reward.mean()), "estimates": {}}
        # The same estimators fed a fixed q-hat that Cobalt reproduces exactly, isolating the estimators from the solver:
        # q[t, a, p] = 0.002 + 0.0005 ((7 a + 3 p + t) mod 11).
        t_ = np.arange(n)[:, None, None]
        a_ = np.arange(obd.n_actions)[None, :, None]
        p_ = np.arange(obd.len_list)[None, None, :]
        q_fixed = 0.002 + 0.0005 * ((7 * a_ + 3 * p_ + t_) % 11)
        fixed = estimators()
        fixed_values = OffPolicyEvaluation(bandit_feedback=fb, ope_estimators=fixed).estimate_policy_values(
            action_dist=action_dist, estimated_rewards_by_reg_model=q_fixed)
        fixed_intervals = OffPolicyEvaluation(bandit_feedback=fb, ope_estimators=estimators()).estimate_intervals(
            action_dist=action_dist, estimated_rewards_by_reg_model=q_fixed, alpha=0.05, n_bootstrap_samples=100,
            random_state=SEED)
        # The same pipeline with the logistic regressions solved to convergence (newton-cg): OBP's lbfgs stops early on
        # these flat objectives (its loss stays about 1e-5 above the optimum), so this is the run Cobalt's Newton fit matches.
        reg_newton = RegressionModel(n_actions=obd.n_actions, len_list=obd.len_list, action_context=obd.action_context,
                                     base_model=LogisticRegression(C=100, solver="newton-cg", tol=1e-10, max_iter=1000))
        q_newton = reg_newton.fit_predict(context=fb["context"], action=fb["action"], reward=fb["reward"],
                                          position=fb["position"], pscore=fb["pscore"], n_folds=3, random_state=SEED)
        converged = estimators()
        converged_values = OffPolicyEvaluation(bandit_feedback=fb, ope_estimators=converged).estimate_policy_values(
            action_dist=action_dist, estimated_rewards_by_reg_model=q_newton)
        task["newton_cg"] = {e.estimator_name: {"value": float(converged_values[e.estimator_name]),
                                                **({"lambda": str(e.best_hyperparam)} if hasattr(e, "best_hyperparam") else {})}
                             for e in converged}
        task["newton_cg_q_hat_rows"] = {str(t): fl(q_newton[t, :, fb["position"][t]]) for t in [0, 1, 5000, n - 1]}
        # Replay needs a deterministic policy to be non-zero: always the item BTS most often puts in each slot.
        best = np.argmax(bts_dist, axis=0)
        deterministic = np.zeros((n, obd.n_actions, obd.len_list))
        deterministic[:, best, np.arange(obd.len_list)] = 1.0
        rm = ReplayMethod()
        task["replay_argmax_bts"] = {"items": [int(b) for b in best],
                                     "value": float(rm.estimate_policy_value(reward=fb["reward"], action=fb["action"], position=fb["position"], action_dist=deterministic)),
                                     **{k: float(v) for k, v in rm.estimate_interval(reward=fb["reward"], action=fb["action"], position=fb["position"], action_dist=deterministic,
                                                                                    alpha=0.05, n_bootstrap_samples=100, random_state=SEED).items()}}
        task["fixed_q"] = {}
        for e in fixed:
            ci = fixed_intervals[e.estimator_name]
            task["fixed_q"][e.estimator_name] = {"value": float(fixed_values[e.estimator_name]),
                                                 "low": float(ci["95.0% CI (lower)"]),
                                                 "high": float(ci["95.0% CI (upper)"])}
            if hasattr(e, "best_hyperparam"):
                task["fixed_q"][e.estimator_name]["lambda"] = str(e.best_hyperparam)
        for e in ests:
            name = e.estimator_name
            ci = intervals[name]
            task["estimates"][name] = {"value": float(values[name]), "mean": float(ci["mean"]),
                                       "low": float(ci["95.0% CI (lower)"]), "high": float(ci["95.0% CI (upper)"])}
            if hasattr(e, "best_hyperparam"):
                task["estimates"][name]["lambda"] = str(e.best_hyperparam)
        c[f"{evaluation}_from_{behavior}"] = task
    out["campaigns"][campaign] = c
json.dump(out, sys.stdout, indent=1)
