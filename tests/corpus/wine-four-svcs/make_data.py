"""Writes data/wine.csv: scikit-learn's bundled wine data set with noise added, so the kernels differ."""
import numpy as np
from sklearn.datasets import load_wine

frame = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar", "od280/od315_of_diluted_wines": "od280_od315"})
rng = np.random.default_rng(5)
features = frame.columns.drop("cultivar")
frame[features] = (frame[features] * rng.normal(1, 0.12, frame[features].shape)).round(3)
frame.to_csv("data/wine.csv", index=False)
