"""Writes bank.csv: synthetic bank marketing campaign calls in the layout of the UCI 'bank' data (semicolon-separated, quoted)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(4521)
n = 2000
age = rng.normal(41, 10.5, n).clip(19, 87).round().astype(int)
duration = rng.gamma(1.3, 200, n).round().astype(int) + 4
poutcome = rng.choice(["unknown", "failure", "other", "success"], n, p=[0.82, 0.11, 0.04, 0.03])
contact = rng.choice(["cellular", "unknown", "telephone"], n, p=[0.64, 0.29, 0.07])
housing = rng.choice(["yes", "no"], n, p=[0.56, 0.44])
logit = -3.4 + 0.004 * duration + 2.3 * (poutcome == "success") - 0.6 * (housing == "yes") - 0.8 * (contact == "unknown")
df = pd.DataFrame({
    "age": age,
    "job": rng.choice(["management", "blue-collar", "technician", "admin.", "services", "retired", "self-employed", "entrepreneur", "unemployed", "housemaid", "student", "unknown"], n),
    "marital": rng.choice(["married", "single", "divorced"], n, p=[0.62, 0.26, 0.12]),
    "education": rng.choice(["secondary", "tertiary", "primary", "unknown"], n, p=[0.51, 0.3, 0.15, 0.04]),
    "default": rng.choice(["no", "yes"], n, p=[0.983, 0.017]),
    "balance": (rng.gamma(0.7, 2000, n) - 300).round().astype(int), "housing": housing,
    "loan": rng.choice(["no", "yes"], n, p=[0.85, 0.15]), "contact": contact, "day": rng.integers(1, 32, n),
    "month": rng.choice(["may", "jul", "aug", "jun", "nov", "apr", "feb", "jan", "oct", "sep", "mar", "dec"], n),
    "duration": duration, "campaign": rng.geometric(0.38, n), "pdays": np.where(poutcome == "unknown", -1, rng.integers(1, 400, n)),
    "previous": np.where(poutcome == "unknown", 0, rng.integers(1, 8, n)), "poutcome": poutcome,
    "y": np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no"),
})
df.to_csv("bank.csv", sep=";", index=False, quoting=2)
