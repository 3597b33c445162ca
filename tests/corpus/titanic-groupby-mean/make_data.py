"""Writes data/train.csv: a synthetic passenger list in the Kaggle Titanic layout (deterministic)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(1912)
n = 891
first_m = ["John", "William", "James", "George", "Charles", "Thomas", "Henry", "Edward", "Arthur", "Frederick"]
first_f = ["Mary", "Anna", "Elizabeth", "Margaret", "Alice", "Helen", "Edith", "Florence", "Emily", "Ellen"]
last = ["Smith", "Brown", "Johnson", "Andersson", "Williams", "Kelly", "Sage", "Carter", "Goodwin", "Rice", "Palsson", "Fortune", "Harris", "Moran", "Ford"]
sex = rng.choice(["male", "female"], n, p=[0.65, 0.35])
pclass = rng.choice([1, 2, 3], n, p=[0.24, 0.21, 0.55])
age = rng.normal(29.7, 14.5, n).clip(0.42, 80).round(0)
age[rng.random(n) < 0.2] = np.nan
sibsp = rng.choice([0, 1, 2, 3, 4], n, p=[0.68, 0.23, 0.04, 0.03, 0.02])
parch = rng.choice([0, 1, 2, 3], n, p=[0.76, 0.13, 0.09, 0.02])
fare = (np.where(pclass == 1, 84, np.where(pclass == 2, 21, 13)) * rng.lognormal(0, 0.5, n)).round(4)
embarked = rng.choice(["S", "C", "Q"], n, p=[0.72, 0.19, 0.09]).astype(object)
embarked[rng.choice(n, 2, replace=False)] = np.nan
cabin = np.where((pclass == 1) & (rng.random(n) < 0.8), [f"{rng.choice(list('ABCDE'))}{rng.integers(1, 130)}" for _ in range(n)], None)
logit = 2.2 * (sex == "female") - 0.9 * (pclass - 2) - 0.02 * np.nan_to_num(age, nan=30) + 0.4 - 0.3 * sibsp
survived = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
names = []
for i in range(n):
    if sex[i] == "male":
        title = "Master" if (age[i] == age[i] and age[i] < 13) else "Mr"
        names.append(f"{rng.choice(last)}, {title}. {rng.choice(first_m)}")
    else:
        title = "Miss" if rng.random() < 0.45 else "Mrs"
        names.append(f"{rng.choice(last)}, {title}. {rng.choice(first_f)}")
pd.DataFrame({
    "PassengerId": np.arange(1, n + 1), "Survived": survived, "Pclass": pclass, "Name": names, "Sex": sex,
    "Age": age, "SibSp": sibsp, "Parch": parch,
    "Ticket": [f"{rng.choice(['', 'PC ', 'A/5 ', 'STON/O2. ', 'C.A. '])}{rng.integers(1000, 400000)}" for _ in range(n)],
    "Fare": fare, "Cabin": cabin, "Embarked": embarked,
}).to_csv("data/train.csv", index=False)
