"""Writes winequality-red.csv: synthetic red wine measurements, TAB-separated (the file was exported from a spreadsheet)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(1599)
n = 1599
alcohol = rng.normal(10.4, 1.05, n).clip(8.4, 14.9)
volatile = rng.normal(0.53, 0.18, n).clip(0.12, 1.58)
sulphates = rng.normal(0.66, 0.17, n).clip(0.33, 2)
citric = rng.normal(0.27, 0.19, n).clip(0, 1)
df = pd.DataFrame({
    "fixed acidity": rng.normal(8.3, 1.7, n).clip(4.6, 15.9).round(1), "volatile acidity": volatile.round(3),
    "citric acid": citric.round(2), "residual sugar": rng.gamma(2.5, 1.0, n).clip(0.9, 15.5).round(1),
    "chlorides": rng.normal(0.087, 0.047, n).clip(0.012, 0.61).round(3),
    "free sulfur dioxide": rng.gamma(2.4, 6.5, n).clip(1, 72).round(0),
    "total sulfur dioxide": rng.gamma(2.1, 22, n).clip(6, 289).round(0),
    "density": (0.9967 - 0.0009 * (alcohol - 10.4) + rng.normal(0, 0.0015, n)).round(5),
    "pH": rng.normal(3.31, 0.15, n).clip(2.74, 4.01).round(2), "sulphates": sulphates.round(2), "alcohol": alcohol.round(1),
})
q = 5.64 + 0.42 * (alcohol - 10.4) - 1.4 * (volatile - 0.53) + 1.0 * (sulphates - 0.66) + 0.3 * (citric - 0.27) + rng.normal(0, 0.6, n)
df["quality"] = q.round().clip(3, 8).astype(int)
df.to_csv("winequality-red.csv", sep="\t", index=False)
