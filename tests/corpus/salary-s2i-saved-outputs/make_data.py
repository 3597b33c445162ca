"""Writes data/salaries.csv: a synthetic salary table (deterministic)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(2023)
n = 600
department = rng.choice(["engineering", "sales", "marketing", "finance", "support"], n, p=[0.35, 0.2, 0.15, 0.15, 0.15])
seniority = rng.choice(["junior", "mid", "senior", "lead"], n, p=[0.3, 0.35, 0.25, 0.1])
years = (rng.gamma(2.0, 3.0, n)).round(1)
age = (22 + years + rng.normal(3, 2, n)).clip(21, 65).round(0)
base = {"engineering": 85, "sales": 60, "marketing": 62, "finance": 75, "support": 45}
level = {"junior": 0.8, "mid": 1.0, "senior": 1.3, "lead": 1.6}
salary = np.array([base[d] * level[s] for d, s in zip(department, seniority)]) * 1000 + years * 1800
salary = (salary + rng.normal(0, 6000, n)).round(-2)
titles = {"engineering": "Software Engineer", "sales": "Account Executive", "marketing": "Marketing Specialist",
          "finance": "Financial Analyst", "support": "Support Agent"}
pd.DataFrame({"job_title": [f"{s.title()} {titles[d]}" for d, s in zip(department, seniority)],
              "department": department, "seniority": seniority, "years_experience": years, "age": age,
              "salary": salary}).to_csv("data/salaries.csv", index=False)
