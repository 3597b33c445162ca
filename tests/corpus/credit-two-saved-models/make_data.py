"""Writes data/credit.csv: synthetic borrowers; default depends on thresholds a linear model cannot draw."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(77)
n = 1800
income = rng.gamma(4, 12000, n).round(-2)
debt = rng.uniform(0, 1.2, n).round(3)
age = rng.integers(19, 75, n)
late = rng.poisson(0.7, n)
risky = ((debt > 0.6) & (income < 40000)) | ((late >= 2) & (age < 30)) | ((debt > 0.9) ^ (late >= 3))
default = (rng.random(n) < np.where(risky, 0.8, 0.07)).astype(int)
pd.DataFrame({"income": income, "debt_ratio": debt, "age": age, "late_payments": late,
              "default": default}).to_csv("data/credit.csv", index=False)
