"""Writes data/buildings.csv: 400 synthetic buildings and their yearly energy use (kWh)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(312)
n = 400
df = pd.DataFrame({
    "floor_area": rng.uniform(40, 400, n).round(1),
    "age": rng.integers(0, 90, n),
    "insulation": rng.choice(["poor", "average", "good"], n, p=[0.3, 0.45, 0.25]),
    "occupants": rng.integers(1, 7, n),
    "climate": rng.choice(["cold", "mild", "warm"], n),
})
factor = df["insulation"].map({"poor": 1.45, "average": 1.0, "good": 0.7}) * \
    df["climate"].map({"cold": 1.5, "mild": 1.0, "warm": 0.8})
df["kwh"] = (df["floor_area"] * 55 * factor + df["occupants"] * 900 + np.where(df["age"] > 50, 1800, 0)
             + rng.normal(0, 800, n)).round(0)
df.to_csv("data/buildings.csv", index=False)
