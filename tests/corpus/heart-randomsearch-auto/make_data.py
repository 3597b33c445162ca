"""Writes heart.csv: synthetic data in the layout of the UCI Cleveland heart disease file, with '?' for missing ca/thal."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(303)
n = 900
age = rng.integers(29, 78, n)
sex = rng.choice([0, 1], n, p=[0.32, 0.68])
cp = rng.choice([0, 1, 2, 3], n, p=[0.47, 0.17, 0.28, 0.08])
thalach = (205 - 0.8 * age + rng.normal(0, 18, n)).round().astype(int)
oldpeak = rng.gamma(1.1, 0.95, n).round(1)
ca = rng.choice([0, 1, 2, 3], n, p=[0.58, 0.22, 0.13, 0.07])
thal = rng.choice([1, 2, 3], n, p=[0.06, 0.55, 0.39])
exang = (rng.random(n) < 0.33).astype(int)
logit = 0.04 * (age - 54) + 0.9 * sex + 0.8 * (cp == 0) + 0.03 * (150 - thalach) + 0.6 * oldpeak + 0.7 * ca + 0.9 * (thal == 3) + 0.9 * exang - 1.7
target = (rng.random(n) > 1 / (1 + np.exp(-logit))).astype(int)   # 1 = no disease, as in the Kaggle copy
df = pd.DataFrame({
    "age": age, "sex": sex, "cp": cp, "trestbps": rng.normal(131, 17, n).round().astype(int),
    "chol": rng.normal(246, 50, n).round().astype(int), "fbs": (rng.random(n) < 0.15).astype(int),
    "restecg": rng.choice([0, 1, 2], n, p=[0.48, 0.5, 0.02]), "thalach": thalach, "exang": exang,
    "oldpeak": oldpeak, "slope": rng.choice([0, 1, 2], n, p=[0.07, 0.46, 0.47]),
    "ca": ca.astype(str), "thal": thal.astype(str), "target": target,
})
df.loc[rng.random(n) < 0.01, "ca"] = "?"
df.loc[rng.random(n) < 0.006, "thal"] = "?"
df.to_csv("heart.csv", index=False)
