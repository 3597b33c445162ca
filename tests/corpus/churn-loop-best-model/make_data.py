"""Writes data/churn.csv: synthetic telecom customers; churn depends on an interaction of contract and support calls."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(2023)
n = 1600
contract = rng.choice(["month-to-month", "one-year", "two-year"], n, p=[0.55, 0.25, 0.2])
calls = rng.poisson(1.6, n)
tenure = rng.integers(1, 72, n)
charges = rng.normal(70, 25, n).clip(18, 140).round(2)
risk = (contract == "month-to-month") & (calls >= 3) | (tenure < 6) & (charges > 90)
churn = np.where(rng.random(n) < np.where(risk, 0.85, 0.08), 1, 0)
pd.DataFrame({"customer_id": [f"C{i:05d}" for i in range(n)], "tenure": tenure, "monthly_charges": charges,
              "support_calls": calls, "contract": contract, "churn": churn}).to_csv("data/churn.csv", index=False)
