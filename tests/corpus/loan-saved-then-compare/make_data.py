"""Writes data/loan_data.csv: synthetic personal loans in the layout of the public LendingClub 2007-2010 extract."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(9578)
n = 2200
fico = rng.normal(711, 38, n).clip(612, 827).round().astype(int)
rate = (0.3 - 0.00025 * fico + rng.normal(0, 0.015, n)).clip(0.06, 0.22).round(4)
purpose = rng.choice(["debt_consolidation", "all_other", "credit_card", "home_improvement", "small_business", "major_purchase", "educational"], n,
                     p=[0.41, 0.24, 0.13, 0.07, 0.06, 0.05, 0.04])
inq = rng.poisson(1.5, n)
policy = (rng.random(n) < np.where(inq > 3, 0.3, 0.9)).astype(int)
logit = -1.7 + 18 * (rate - 0.12) + 0.18 * inq - 0.9 * policy + 0.6 * (purpose == "small_business")
df = pd.DataFrame({
    "credit.policy": policy, "purpose": purpose, "int.rate": rate,
    "installment": (rng.gamma(3, 110, n) + 15).round(2), "log.annual.inc": rng.normal(10.93, 0.6, n).round(4),
    "dti": rng.uniform(0, 30, n).round(2), "fico": fico, "days.with.cr.line": rng.gamma(3, 1500, n).round(2),
    "revol.bal": rng.gamma(1, 16000, n).round().astype(int), "revol.util": rng.uniform(0, 100, n).round(1),
    "inq.last.6mths": inq, "delinq.2yrs": rng.choice([0, 1, 2], n, p=[0.88, 0.09, 0.03]),
    "pub.rec": rng.choice([0, 1], n, p=[0.94, 0.06]),
    "not.fully.paid": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
})
df.to_csv("data/loan_data.csv", index=False)
