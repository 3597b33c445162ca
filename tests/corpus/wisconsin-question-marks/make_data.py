"""Writes data/breast-cancer-wisconsin.data: synthetic rows in the layout of the UCI original (no header, '?' for missing)."""
import numpy as np

rng = np.random.default_rng(699)
n = 699
malignant = rng.random(n) < 0.345
lines = []
for i in range(n):
    base = rng.integers(3, 11, 9) if malignant[i] else rng.integers(1, 5, 9)
    values = np.clip(base + rng.integers(-2, 3, 9), 1, 10).astype(str).tolist()
    values[5] = "?" if rng.random() < 0.023 else values[5]
    values[8] = str(rng.choice([1, 1, 1, 2, 3]) if not malignant[i] else rng.integers(1, 9))
    lines.append(",".join([str(1000025 + i * 37), *values, "4" if malignant[i] else "2"]))
open("data/breast-cancer-wisconsin.data", "w").write("\n".join(lines) + "\n")
