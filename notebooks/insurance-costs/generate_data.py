"""Writes insurance.csv: synthetic medical insurance charges (1,338 people), deterministic."""

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
n = 1338
age = rng.integers(18, 65, n)
sex = rng.choice(["female", "male"], n)
bmi = np.round(rng.normal(30.6, 6.1, n).clip(16, 53), 2)
children = rng.choice([0, 1, 2, 3, 4, 5], n, p=[0.43, 0.24, 0.18, 0.11, 0.02, 0.02])
smoker = rng.choice(["yes", "no"], n, p=[0.2, 0.8])
region = rng.choice(["northeast", "northwest", "southeast", "southwest"], n)
charges = (250 * age + 340 * np.maximum(bmi - 25, 0) + 480 * children + 23800 * (smoker == "yes")
           + 18000 * ((smoker == "yes") & (bmi > 30)) + rng.normal(0, 4000, n) - 1800 * (region == "southwest"))
frame = pd.DataFrame({"age": age, "sex": sex, "bmi": bmi, "children": children, "smoker": smoker,
                      "region": region, "charges": np.round(np.abs(charges) + 1100, 5)})
frame.loc[rng.choice(n, 25, replace=False), "bmi"] = np.nan  # a few records without a BMI
frame.to_csv("insurance.csv", index=False)
