"""Writes WA_Fn-UseC_-Telco-Customer-Churn.csv: a synthetic telco churn sample (deterministic)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
n = 1600
tenure = rng.integers(0, 73, n)
contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.34, 0.44, 0.22])
monthly = np.where(internet == "Fiber optic", 70, np.where(internet == "DSL", 45, 20)) + rng.normal(10, 12, n).clip(-15, 40)
monthly = monthly.round(2)
total = (monthly * tenure * rng.uniform(0.95, 1.05, n)).round(2)
total_str = np.where(tenure == 0, " ", total.astype(str))  # blanks, as in the real export
payment = rng.choice(["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"], n)
senior = (rng.random(n) < 0.16).astype(int)
logit = (-1.2 + 1.3 * (contract == "Month-to-month") - 0.035 * tenure + 0.8 * (internet == "Fiber optic")
         + 0.5 * (payment == "Electronic check") + 0.3 * senior - 0.9 * (contract == "Two year"))
churn = rng.random(n) < 1 / (1 + np.exp(-logit))
df = pd.DataFrame({
    "customerID": [f"{rng.integers(1000, 9999)}-{''.join(rng.choice(list('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 5))}" for _ in range(n)],
    "gender": rng.choice(["Female", "Male"], n),
    "SeniorCitizen": senior,
    "Partner": rng.choice(["Yes", "No"], n),
    "Dependents": rng.choice(["Yes", "No"], n, p=[0.3, 0.7]),
    "tenure": tenure,
    "PhoneService": rng.choice(["Yes", "No"], n, p=[0.9, 0.1]),
    "InternetService": internet,
    "Contract": contract,
    "PaperlessBilling": rng.choice(["Yes", "No"], n, p=[0.6, 0.4]),
    "PaymentMethod": payment,
    "MonthlyCharges": monthly,
    "TotalCharges": total_str,
    "Churn": np.where(churn, "Yes", "No"),
})
df.to_csv("WA_Fn-UseC_-Telco-Customer-Churn.csv", index=False)
