"""Writes data/pump_sensors.csv: 600 synthetic pump readings and whether the pump failed within a week."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(14)
n = 600
df = pd.DataFrame({
    "vibration": rng.gamma(2.0, 1.5, n).round(3),
    "temperature": rng.normal(65, 8, n).round(2),
    "pressure": rng.normal(4.2, 0.6, n).round(3),
    "rpm": rng.normal(1450, 120, n).round(0),
    "hours_since_service": rng.integers(0, 4000, n),
})
risk = (0.9 * (df["vibration"] - 3) + 0.12 * (df["temperature"] - 65) + 0.0007 * (df["hours_since_service"] - 2000)
        - 0.8 * (df["pressure"] - 4.2))
df["failed"] = (risk + rng.normal(0, 1.0, n) > 0.8).astype(int)
df.to_csv("data/pump_sensors.csv", index=False)
