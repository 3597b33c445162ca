"""Writes winequalityN.csv: synthetic red + white wine physico-chemical measurements with a quality score (deterministic)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(11)
n = 1800
kind = rng.choice(["white", "red"], n, p=[0.75, 0.25])
red = kind == "red"
alcohol = rng.normal(10.5, 1.2, n).clip(8, 14.5)
volatile = np.where(red, rng.normal(0.53, 0.18, n), rng.normal(0.28, 0.1, n)).clip(0.08, 1.5)
sulphates = np.where(red, rng.normal(0.66, 0.17, n), rng.normal(0.49, 0.11, n)).clip(0.22, 2)
df = pd.DataFrame({
    "type": kind,
    "fixed acidity": np.where(red, rng.normal(8.3, 1.7, n), rng.normal(6.85, 0.84, n)).clip(3.8, 15.9),
    "volatile acidity": volatile,
    "citric acid": rng.normal(0.32, 0.14, n).clip(0, 1),
    "residual sugar": np.where(red, rng.gamma(2, 1.3, n), rng.gamma(1.5, 4.2, n)).clip(0.6, 30),
    "chlorides": np.where(red, rng.normal(0.087, 0.04, n), rng.normal(0.046, 0.02, n)).clip(0.009, 0.6),
    "free sulfur dioxide": rng.gamma(3, 10, n).clip(1, 120),
    "total sulfur dioxide": np.where(red, rng.gamma(2, 23, n), rng.gamma(8, 17, n)).clip(6, 400),
    "density": (0.9967 - 0.0011 * (alcohol - 10.5) + rng.normal(0, 0.001, n)),
    "pH": rng.normal(3.22, 0.16, n).clip(2.7, 4),
    "sulphates": sulphates,
    "alcohol": alcohol,
})
q = 5.8 + 0.45 * (alcohol - 10.5) - 1.6 * (volatile - 0.35) + 0.8 * (sulphates - 0.55) + rng.normal(0, 0.7, n)
df["quality"] = q.round().clip(3, 9).astype(int)
for col in ["fixed acidity", "pH", "sulphates", "citric acid"]:
    df.loc[rng.random(n) < 0.004, col] = np.nan   # a few missing, as in the Kaggle file
df = df.round({"density": 5, "chlorides": 3, "volatile acidity": 3, "sulphates": 2, "alcohol": 1, "pH": 2,
               "fixed acidity": 1, "citric acid": 2, "residual sugar": 1, "free sulfur dioxide": 0, "total sulfur dioxide": 0})
df.to_csv("winequalityN.csv", index=False)
