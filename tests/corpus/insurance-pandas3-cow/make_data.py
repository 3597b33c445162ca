"""Writes insurance.csv: synthetic medical insurance charges (age, sex, bmi, children, smoker, region, charges)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(1338)
n = 1338
age = rng.integers(18, 65, n)
bmi = rng.normal(30.7, 6.1, n).clip(16, 53).round(3)
children = rng.choice([0, 1, 2, 3, 4, 5], n, p=[0.43, 0.24, 0.18, 0.12, 0.02, 0.01])
smoker = rng.choice(["yes", "no"], n, p=[0.2, 0.8])
charges = 250 * age + 400 * children + 1500 + rng.gamma(2, 1200, n)
charges = charges + np.where(smoker == "yes", 13000 + np.where(bmi > 30, 20000, 0) + 350 * (bmi - 30).clip(0), 0)
pd.DataFrame({"age": age, "sex": rng.choice(["female", "male"], n), "bmi": bmi, "children": children,
              "smoker": smoker, "region": rng.choice(["southwest", "southeast", "northwest", "northeast"], n),
              "charges": charges.round(5)}).to_csv("insurance.csv", index=False)
