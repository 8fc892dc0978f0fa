# RecoGym's training stream for world seed 100 under its competition protocol, transcribed from
# criteo-research/reco-gym f8553d1: recogym/envs/reco_env_v1.py (set_static_params, reset, update_state,
# draw_click, update_product_view), recogym/envs/abstract.py (init_gym re-seeds after drawing the world;
# step(None) plays the first organic session; generate_logs; step_offline asks the agent once more when done)
# and recogym/agents/organic_user_count.py (the logging policy, epsilon 0.05, RandomState(100)).
# Prints the first 3 organic-only users, then the first logged user's rows (kind, product, click, ps).
# Run: /usr/bin/python3 tests/Cobalt.RecoGym.Tests/recogym_stream.py
import numpy as np
from numpy.random import RandomState
P, K, EPS = 100, 5, 0.05
r = RandomState(100)
G = r.normal(size=(P, K)); mu = r.normal(0, 3, size=(P, 1))
r = RandomState(100)
T = np.array([[0, 0.25, 0.01], [0.05, 0, 0.01], [0.0, 0.0, 1.0]])
T[0, 0] = 1 - sum(T[0, :]); T[1, 1] = 1 - sum(T[1, :])
sig = lambda x: 1.0 / (1.0 + np.exp(-x))
ff = lambda x: sig(5 * sig(2 * sig(0.3 * x) - 2) - 6)

class User:
    def __init__(self):
        self.omega = r.normal(0, 1, size=(K, 1)); self.state = 0; self.switch = False; self.cache = None
    def view(self):
        l = (G @ self.omega + mu).ravel(); l = l - max(l); u = np.exp(l)
        return int(r.choice(P, p=u / u.sum()))
    def update(self):
        old = self.state
        self.state = r.choice(3, p=T[self.state, :])
        if self.state == 0:
            self.omega = r.normal(self.omega, 0.1, size=(K, 1))
        self.switch = old != self.state
    def session(self):
        views = []
        while self.state == 0:
            views.append(self.view()); self.update()
        return views
    def click(self, a):
        if self.switch:
            self.cache = (G @ self.omega + mu).ravel()
        ctr = ff(self.cache)
        return int(r.choice([0, 1], p=[1 - ctr[a], ctr[a]]))

for user in range(100):
    views = User().session()
    if user < 3:
        print(user, views)
agent = RandomState(100)
def act(counts):
    explore = agent.choice([True, False], p=[EPS, 1 - EPS])
    f = counts.copy()
    if explore:
        mask = f == 0; f[mask] = 1; f[~mask] = 0
    p = f / np.sum(f)
    a = agent.choice(P, p=p)
    return int(a), (EPS if explore else 1 - EPS) * p[a]
u = User(); counts = np.zeros(P, dtype=np.int16); rows = []
for v in u.session():
    counts[v] += 1; rows.append(('o', v))
while u.state != 2:
    a, ps = act(counts)
    c = u.click(a); u.update()
    if c == 1:
        u.state = 0
    rows.append(('b', a, c, repr(float(ps))))
    for v in u.session():
        counts[v] += 1; rows.append(('o', v))
a, ps = act(counts)
rows.append(('phantom', a, 0, repr(float(ps))))
print(len(rows), sum(1 for x in rows if x[0] == 'b'), sum(x[2] for x in rows if x[0] == 'b'))
print(rows[:12])
print(rows[-3:])
