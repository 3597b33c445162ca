"""Writes data/digits.csv: 1,200 of scikit-learn's bundled 8x8 handwritten digits, one image per row (pixel_0..pixel_63, label)."""
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits

d = load_digits()
idx = np.random.default_rng(8).choice(len(d.target), 1200, replace=False)
idx.sort()
df = pd.DataFrame(d.data[idx].astype(int), columns=[f"pixel_{i}" for i in range(64)])
df["label"] = d.target[idx]
df.to_csv("data/digits.csv", index=False)
