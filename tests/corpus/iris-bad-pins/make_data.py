"""Writes Iris.csv in the Kaggle layout (Id, *Cm, Species) from scikit-learn's bundled iris data."""
import pandas as pd
from sklearn.datasets import load_iris

iris = load_iris()
df = pd.DataFrame(iris.data, columns=["SepalLengthCm", "SepalWidthCm", "PetalLengthCm", "PetalWidthCm"])
df.insert(0, "Id", range(1, len(df) + 1))
df["Species"] = ["Iris-" + iris.target_names[t] for t in iris.target]
df.to_csv("Iris.csv", index=False)
