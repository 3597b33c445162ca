"""Writes data/breast_cancer.csv from scikit-learn's bundled Wisconsin diagnostic data set."""
from sklearn.datasets import load_breast_cancer

frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "diagnosis"})
frame.columns = [c.replace(" ", "_") for c in frame.columns]
frame.round(5).to_csv("data/breast_cancer.csv", index=False)
