"""Writes WA_Fn-UseC_-HR-Employee-Attrition.csv: synthetic employees in the layout of the IBM HR attrition data (subset of columns)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(1470)
n = 1470
age = rng.integers(18, 61, n)
years = np.minimum(rng.gamma(1.6, 4.5, n).astype(int), age - 18)
total = np.minimum(years + rng.gamma(1.5, 4, n).astype(int), age - 18)
overtime = rng.choice(["Yes", "No"], n, p=[0.28, 0.72])
dept = rng.choice(["Research & Development", "Sales", "Human Resources"], n, p=[0.65, 0.3, 0.05])
role = np.where(dept == "Sales", rng.choice(["Sales Executive", "Sales Representative", "Manager"], n, p=[0.7, 0.2, 0.1]),
       np.where(dept == "Human Resources", rng.choice(["Human Resources", "Manager"], n, p=[0.8, 0.2]),
                rng.choice(["Research Scientist", "Laboratory Technician", "Manufacturing Director", "Healthcare Representative", "Research Director"], n)))
income = (2000 + 350 * total + rng.gamma(2, 900, n) + 6000 * (role == "Manager")).round().astype(int)
marital = rng.choice(["Married", "Single", "Divorced"], n, p=[0.46, 0.32, 0.22])
satisfaction = rng.integers(1, 5, n)
distance = rng.integers(1, 30, n)
level = np.clip(income // 4000 + 1, 1, 5)
# leavers: juniors doing overtime, young singles, far commuters, unhappy people (interactions, not a linear score)
logit = (-3.0 + 2.6 * ((overtime == "Yes") & (level == 1)) + 1.8 * ((marital == "Single") & (age < 32))
         + 1.4 * (satisfaction == 1) + 1.3 * ((distance > 20) & (overtime == "Yes")) - 0.08 * years
         + 1.0 * (role == "Sales Representative"))
attr = rng.random(n) < 1 / (1 + np.exp(-logit))
pd.DataFrame({
    "Age": age, "Attrition": np.where(attr, "Yes", "No"),
    "BusinessTravel": rng.choice(["Travel_Rarely", "Travel_Frequently", "Non-Travel"], n, p=[0.71, 0.19, 0.1]),
    "DailyRate": rng.integers(102, 1500, n), "Department": dept, "DistanceFromHome": distance,
    "Education": rng.integers(1, 6, n),
    "EducationField": rng.choice(["Life Sciences", "Medical", "Marketing", "Technical Degree", "Other", "Human Resources"], n),
    "EmployeeCount": 1, "EmployeeNumber": np.arange(1, n + 1),
    "EnvironmentSatisfaction": rng.integers(1, 5, n), "Gender": rng.choice(["Male", "Female"], n, p=[0.6, 0.4]),
    "JobLevel": level, "JobRole": role, "JobSatisfaction": satisfaction,
    "MaritalStatus": marital, "MonthlyIncome": income, "NumCompaniesWorked": rng.integers(0, 10, n),
    "Over18": "Y", "OverTime": overtime, "PercentSalaryHike": rng.integers(11, 26, n),
    "StandardHours": 80, "StockOptionLevel": rng.integers(0, 4, n), "TotalWorkingYears": total,
    "WorkLifeBalance": rng.integers(1, 5, n), "YearsAtCompany": years,
    "YearsSinceLastPromotion": (years * rng.random(n)).astype(int),
}).to_csv("WA_Fn-UseC_-HR-Employee-Attrition.csv", index=False)
