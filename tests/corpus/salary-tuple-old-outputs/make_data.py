"""Writes data/salaries.csv: synthetic salaries, non-linear in experience and level."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(31)
n = 900
experience = rng.uniform(0, 30, n).round(1)
level = rng.choice(["junior", "mid", "senior", "lead"], n, p=[0.3, 0.35, 0.25, 0.1])
education = rng.integers(0, 4, n)
bump = pd.Series(level).map({"junior": 0, "mid": 12000, "senior": 30000, "lead": 55000}).to_numpy()
salary = 32000 + 9000 * np.sqrt(experience) * (1 + (level == "lead")) + bump * (experience > 5) + 3000 * education
salary = (salary + rng.normal(0, 3000, n)).round(-2)
pd.DataFrame({"experience": experience, "education": education, "level": level,
              "salary": salary}).to_csv("data/salaries.csv", index=False)
