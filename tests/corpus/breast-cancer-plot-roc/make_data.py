"""Writes data/data.csv in the layout of the Kaggle copy of the Wisconsin breast cancer data
(id, diagnosis M/B, *_mean, *_se, *_worst, and the trailing empty column), from scikit-learn's bundled copy."""
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer

data = load_breast_cancer()
names = []
for name in data.feature_names:
    if name.startswith("mean "):
        names.append(name[5:].replace(" ", "_") + "_mean")
    elif name.endswith(" error"):
        names.append(name[:-6].replace(" ", "_") + "_se")
    else:
        names.append(name[6:].replace(" ", "_") + "_worst")
order = [n for n in names if n.endswith("_mean")] + [n for n in names if n.endswith("_se")] + [n for n in names if n.endswith("_worst")]
df = pd.DataFrame(data.data, columns=names)[order]
rng = np.random.default_rng(0)
df.insert(0, "diagnosis", np.where(data.target == 0, "M", "B"))
df.insert(0, "id", rng.integers(8000, 99999999, len(df)))
df["Unnamed: 32"] = np.nan
df.to_csv("data/data.csv", index=False, header=list(df.columns[:-1]) + [""])
