"""Writes data/credit_default.csv: synthetic credit card clients in the layout of the UCI 'default of credit card clients' data (subset of columns)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(2005)
n = 2000
limit = (rng.lognormal(11.8, 0.75, n) // 10000 * 10000).clip(10000, 800000)
pay = [rng.choice([-2, -1, 0, 1, 2, 3], n, p=[0.12, 0.2, 0.5, 0.1, 0.06, 0.02]) for _ in range(3)]
bill = [(limit * rng.beta(2, 4, n)).round(0) for _ in range(3)]
payamt = [(b * rng.beta(1, 6, n)).round(0) for b in bill]
logit = -1.6 + 0.75 * pay[0] + 0.25 * pay[1] - 0.000002 * limit
default = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
df = pd.DataFrame({
    "ID": np.arange(1, n + 1), "LIMIT_BAL": limit.astype(int), "SEX": rng.choice(["male", "female"], n, p=[0.4, 0.6]),
    "EDUCATION": rng.choice(["graduate school", "university", "high school", "others"], n, p=[0.35, 0.47, 0.16, 0.02]),
    "MARRIAGE": rng.choice(["married", "single", "others"], n, p=[0.45, 0.53, 0.02]),
    "AGE": rng.integers(21, 75, n),
    "PAY_0": pay[0], "PAY_2": pay[1], "PAY_3": pay[2],
    "BILL_AMT1": bill[0].astype(int), "BILL_AMT2": bill[1].astype(int), "BILL_AMT3": bill[2].astype(int),
    "PAY_AMT1": payamt[0].astype(int), "PAY_AMT2": payamt[1].astype(int), "PAY_AMT3": payamt[2].astype(int),
    "default.payment.next.month": default,
})
df.to_csv("data/credit_default.csv", index=False)
