"""Writes data/diabetes.csv from scikit-learn's bundled copy of the Efron et al. diabetes data,
in the layout of the original file (diabetes.tab.txt): tab-separated, columns AGE SEX BMI BP S1..S6 Y."""
from sklearn.datasets import load_diabetes

df = load_diabetes(as_frame=True, scaled=False).frame
df.columns = ["AGE", "SEX", "BMI", "BP", "S1", "S2", "S3", "S4", "S5", "S6", "Y"]
df["AGE"] = df["AGE"].astype(int)
df["SEX"] = df["SEX"].astype(int)
df["Y"] = df["Y"].astype(int)
df.to_csv("data/diabetes.csv", sep="\t", index=False)
