"""Writes Churn_Modelling.csv: synthetic bank customers in the layout of the Kaggle 'Churn Modelling' data."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(10000)
n = 2000
geo = rng.choice(["France", "Germany", "Spain"], n, p=[0.5, 0.25, 0.25])
age = rng.normal(39, 10, n).clip(18, 92).round().astype(int)
balance = np.where(rng.random(n) < 0.36, 0.0, rng.normal(119000, 30000, n).clip(3000)).round(2)
products = rng.choice([1, 2, 3, 4], n, p=[0.51, 0.46, 0.027, 0.003])
active = rng.choice([0, 1], n)
gender = rng.choice(["Female", "Male"], n, p=[0.45, 0.55])
logit = -3.2 + 0.07 * (age - 30) + 0.8 * (geo == "Germany") - 0.9 * active + 0.5 * (gender == "Female") + 2.5 * (products >= 3) - 0.6 * (products == 2)
surnames = ["Hargrave", "Hill", "Onio", "Boni", "Mitchell", "Chu", "Bartlett", "Obinna", "He", "H?", "Bearce", "Andrews", "Kay", "Chin", "Scott", "Goforth", "Romeo", "Henderson", "Muldrow", "Hao"]
pd.DataFrame({
    "RowNumber": np.arange(1, n + 1), "CustomerId": rng.integers(15565701, 15815690, n),
    "Surname": rng.choice(surnames, n), "CreditScore": rng.normal(650, 96, n).clip(350, 850).round().astype(int),
    "Geography": geo, "Gender": gender, "Age": age, "Tenure": rng.integers(0, 11, n), "Balance": balance,
    "NumOfProducts": products, "HasCrCard": rng.choice([0, 1], n, p=[0.3, 0.7]), "IsActiveMember": active,
    "EstimatedSalary": rng.uniform(11.58, 199992.48, n).round(2),
    "Exited": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
}).to_csv("Churn_Modelling.csv", index=False)
