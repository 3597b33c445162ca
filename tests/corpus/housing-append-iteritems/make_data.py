"""Writes housing.csv: a synthetic sample shaped like the California housing data (deterministic)."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(42)
n = 2000
ocean = rng.choice(["<1H OCEAN", "INLAND", "NEAR OCEAN", "NEAR BAY", "ISLAND"], n, p=[0.44, 0.32, 0.13, 0.108, 0.002])
lon = np.where(ocean == "INLAND", rng.uniform(-121.5, -115.5, n), rng.uniform(-124, -117, n)).round(2)
lat = rng.uniform(32.6, 41.5, n).round(2)
age = rng.integers(1, 53, n)
households = rng.gamma(3, 170, n).astype(int) + 5
rooms = (households * rng.normal(5.3, 1.2, n).clip(2, 10)).astype(int)
bedrooms = (rooms * rng.normal(0.21, 0.03, n).clip(0.1, 0.4)).astype(float)
bedrooms[rng.random(n) < 0.01] = np.nan
population = (households * rng.normal(2.9, 0.7, n).clip(1, 6)).astype(int)
income = rng.lognormal(1.25, 0.45, n).clip(0.5, 15).round(4)
# prices: saturating in income, bumps around the two big metro areas, capped at 500,001 like the census data
metro = 140000 * np.exp(-((lat - 34.05) ** 2 + (lon + 118.25) ** 2) / 0.8) + 190000 * np.exp(-((lat - 37.75) ** 2 + (lon + 122.3) ** 2) / 0.5)
value = (330000 * (1 - np.exp(-income / 4.5)) + metro + 50000 * (ocean != "INLAND") * (income > 3)
         + 900 * age + rng.normal(0, 30000, n)).clip(15000, 500001).round(0)
pd.DataFrame({
    "longitude": lon, "latitude": lat, "housing_median_age": age, "total_rooms": rooms,
    "total_bedrooms": bedrooms, "population": population, "households": households,
    "median_income": income, "median_house_value": value, "ocean_proximity": ocean,
}).to_csv("housing.csv", index=False)
