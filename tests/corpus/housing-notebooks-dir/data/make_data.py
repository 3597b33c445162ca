"""Writes housing.csv (next to this script): synthetic house sales in the layout of the Ames 'House Prices' data (subset of columns)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(1460)
n = 1460
hood = rng.choice(["NAmes", "CollgCr", "OldTown", "Edwards", "Somerst", "NridgHt", "Gilbert", "Sawyer", "NWAmes", "Mitchel"], n)
premium = pd.Series(hood).map({"NridgHt": 60000, "Somerst": 35000, "CollgCr": 20000, "Gilbert": 15000, "NWAmes": 10000,
                               "Mitchel": 0, "NAmes": -5000, "Sawyer": -10000, "Edwards": -20000, "OldTown": -25000}).to_numpy()
qual = rng.choice(np.arange(3, 11), n, p=[0.02, 0.08, 0.27, 0.26, 0.22, 0.1, 0.04, 0.01])
year = (1870 + rng.beta(3, 1.4, n) * 140).astype(int)
area = (rng.normal(1500, 480, n).clip(500, 4500)).astype(int)
lot = (rng.lognormal(9.1, 0.4, n)).astype(int)
garage = rng.choice([0, 1, 2, 3], n, p=[0.06, 0.25, 0.57, 0.12])
bsmt = (area * rng.uniform(0, 0.9, n)).astype(float)
bsmt[rng.random(n) < 0.025] = np.nan
price = 20000 + 16000 * qual + 55 * area + 300 * (year - 1950) + 9000 * garage + 25 * np.nan_to_num(bsmt) + premium + rng.normal(0, 18000, n)
garage_type = np.where(garage == 0, None, rng.choice(["Attchd", "Detchd", "BuiltIn"], n, p=[0.65, 0.28, 0.07]))
pd.DataFrame({
    "Id": np.arange(1, n + 1), "MSZoning": rng.choice(["RL", "RM", "FV", "RH"], n, p=[0.79, 0.15, 0.045, 0.015]),
    "LotArea": lot, "Neighborhood": hood, "OverallQual": qual, "OverallCond": rng.integers(3, 10, n),
    "YearBuilt": year, "YearRemodAdd": np.maximum(year, rng.integers(1950, 2011, n)), "TotalBsmtSF": bsmt,
    "GrLivArea": area, "FullBath": rng.choice([1, 2, 3], n, p=[0.45, 0.5, 0.05]), "HalfBath": rng.choice([0, 1], n),
    "BedroomAbvGr": rng.choice([1, 2, 3, 4, 5], n, p=[0.04, 0.25, 0.55, 0.14, 0.02]), "KitchenQual": rng.choice(["Ex", "Gd", "TA", "Fa"], n, p=[0.07, 0.4, 0.5, 0.03]),
    "GarageType": garage_type, "GarageCars": garage, "YrSold": rng.integers(2006, 2011, n),
    "SalePrice": price.clip(35000).round(-2).astype(int),
}).to_csv("housing.csv", index=False)
