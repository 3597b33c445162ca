"""Notebook repos with feature engineering outside scikit-learn, written in code (data included,
deterministic), one per kind of outcome: replayed and verified, must fall back, not needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import notebook

IMPORTS = ("import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n"
           "from sklearn.model_selection import train_test_split\n")


def loans(repo: Path) -> None:
    """A LabelEncoder per column (a new one each loop turn), a merge with a second loaded table, a
    dropped id column, fillna with a constant and with the column's mean, a ratio, a Yes/No map, a
    MinMaxScaler fitted then applied separately, a classifier with predict_proba."""
    rng = np.random.default_rng(3)
    n = 900
    branches = pd.DataFrame({"branch_id": range(1, 9), "branch_size": rng.integers(5, 60, 8),
                             "branch_region": rng.choice(["north", "south", "east"], 8)})
    income = rng.normal(52000, 15000, n).round(0).clip(9000)
    debt = (income * rng.uniform(0.05, 0.9, n)).round(0)
    frame = pd.DataFrame({
        "loan_id": [f"L{100000 + i}" for i in range(n)], "branch_id": rng.integers(1, 9, n),
        "income": income, "debt": debt, "age": rng.integers(19, 75, n),
        "employment": rng.choice(["salaried", "self-employed", "contract", None], n, p=[0.55, 0.2, 0.15, 0.1]),
        "purpose": rng.choice(["car", "home", "education", "business"], n),
        "has_guarantor": rng.choice(["Yes", "No"], n, p=[0.3, 0.7])})
    frame.loc[rng.choice(n, 40, replace=False), "income"] = np.nan
    risk = debt / np.nan_to_num(income, nan=52000) + 0.3 * (frame["has_guarantor"] == "No") + rng.normal(0, 0.15, n)
    frame["defaulted"] = (risk > 0.75).astype(int)
    (repo / "data").mkdir(parents=True)
    frame.to_csv(repo / "data" / "loans.csv", index=False)
    branches.to_csv(repo / "data" / "branches.csv", index=False)
    nb = notebook(
        IMPORTS + "from sklearn.preprocessing import LabelEncoder, MinMaxScaler\n"
                  "from sklearn.ensemble import RandomForestClassifier",
        "loans = pd.read_csv('data/loans.csv')\nbranches = pd.read_csv('data/branches.csv')\nloans.head()",
        "loans['defaulted'].value_counts().plot(kind='bar')\nplt.show()",
        "loans = loans.merge(branches, on='branch_id', how='left')\nloans.drop(['loan_id'], axis=1, inplace=True)",
        "loans['employment'] = loans['employment'].fillna('unknown')\n"
        "loans['income'] = loans['income'].fillna(loans['income'].mean())\n"
        "loans['debt_ratio'] = loans['debt'] / loans['income']\n"
        "loans['has_guarantor'] = loans['has_guarantor'].map({'Yes': 1, 'No': 0})\nprint(loans.isna().sum())",
        "cat_cols = ['employment', 'purpose', 'branch_region']\nencoders = {}\nfor col in cat_cols:\n"
        "    le = LabelEncoder()\n    loans[col] = le.fit_transform(loans[col])\n    encoders[col] = le",
        "X = loans.drop(columns=['defaulted', 'branch_id'])\ny = loans['defaulted']\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)",
        "scaler = MinMaxScaler()\nscaler.fit(X_train)\n"
        "X_train_s = pd.DataFrame(scaler.transform(X_train), columns=X_train.columns, index=X_train.index)\n"
        "X_test_s = pd.DataFrame(scaler.transform(X_test), columns=X_test.columns, index=X_test.index)",
        "clf = RandomForestClassifier(n_estimators=60, max_depth=6, random_state=0).fit(X_train_s, y_train)\n"
        "print('accuracy', clf.score(X_test_s, y_test))",
    )
    _write(repo, "loans.ipynb", nb)


def houses_groupby(repo: Path) -> None:
    """A feature computed over the whole table (a group mean): one row alone cannot reproduce it."""
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame({"city": rng.choice(["lyon", "lille", "nantes"], n), "size": rng.integers(20, 200, n),
                          "rooms": rng.integers(1, 7, n)})
    frame["price"] = frame["size"] * 3000 + frame["rooms"] * 10000 + rng.normal(0, 20000, n)
    repo.mkdir(parents=True)
    frame.to_csv(repo / "houses.csv", index=False)
    nb = notebook(
        IMPORTS + "from sklearn.linear_model import LinearRegression",
        "df = pd.read_csv('houses.csv')",
        "df['city_mean_size'] = df.groupby('city')['size'].transform('mean')\n"
        "df = pd.get_dummies(df, columns=['city'])",
        "X = df.drop('price', axis=1)\ny = df['price']\nmodel = LinearRegression().fit(X, y)",
    )
    _write(repo, "houses.ipynb", nb)


def pipeline_inside(repo: Path) -> None:
    """The preprocessing is inside the scikit-learn pipeline: the service stays as it is."""
    rng = np.random.default_rng(9)
    n = 300
    frame = pd.DataFrame({"plan": rng.choice(["basic", "pro"], n), "seats": rng.integers(1, 50, n),
                          "usage": rng.normal(10, 3, n)})
    frame["churned"] = ((frame["usage"] < 9) & (frame["plan"] == "basic")).astype(int)
    repo.mkdir(parents=True)
    frame.to_csv(repo / "accounts.csv", index=False)
    nb = notebook(
        IMPORTS + "from sklearn.compose import ColumnTransformer\nfrom sklearn.pipeline import Pipeline\n"
                  "from sklearn.preprocessing import OneHotEncoder, StandardScaler\n"
                  "from sklearn.linear_model import LogisticRegression",
        "df = pd.read_csv('accounts.csv')\nX = df.drop(columns='churned')\ny = df['churned']\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
        "pipeline = Pipeline([('prep', ColumnTransformer([('cat', OneHotEncoder(), ['plan']), "
        "('num', StandardScaler(), ['seats', 'usage'])])), ('model', LogisticRegression())])\n"
        "pipeline.fit(X_train, y_train)",
    )
    _write(repo, "accounts.ipynb", nb)


def wine_bundled(repo: Path) -> None:
    """A dataset bundled with scikit-learn loaded as a frame (``load_wine(as_frame=True).frame``),
    then the notebook's own engineering (a ratio, a binned column one-hot encoded, dropped columns);
    the frame is split, and the model, its class imported in the same cell, is fitted on its
    ``.values`` (no index)."""
    nb = notebook(
        IMPORTS + "from sklearn.datasets import load_wine",
        "data = load_wine(as_frame=True)\ndf = data.frame\nprint(data.target_names)\ndf.head()",
        "df['phenol_ratio'] = df['total_phenols'] / df['flavanoids']\n"
        "df['alcohol_band'] = pd.cut(df['alcohol'], bins=[0, 12.5, 13.5, 20], labels=['low', 'mid', 'high'])\n"
        "df = pd.get_dummies(df, columns=['alcohol_band'])\ndf = df.drop(columns=['ash', 'magnesium'])",
        "df['phenol_ratio'].hist()\nplt.show()",
        "X = df.drop('target', axis=1)\ny = df['target']\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)",
        "from sklearn.ensemble import RandomForestClassifier\n\n"
        "clf = RandomForestClassifier(n_estimators=40, max_depth=5, random_state=0)\n"
        "clf.fit(X_train.values, y_train.values)\nprint('accuracy', clf.score(X_test.values, y_test.values))",
    )
    _write(repo, "wine.ipynb", nb)


def diabetes_arrays(repo: Path) -> None:
    """A bundled dataset loaded as arrays and made a DataFrame by hand, a matrix built with
    ``np.column_stack`` of engineered columns, split as arrays with numpy's global seed (no
    ``random_state``), and a model fitted on a scaler's ``fit_transform`` of the training array: no
    pandas index anywhere after the table."""
    nb = notebook(
        IMPORTS + "from sklearn.datasets import load_diabetes\nfrom sklearn.preprocessing import StandardScaler\n"
                  "from sklearn.linear_model import Ridge",
        "data = load_diabetes()\ndf = pd.DataFrame(data.data, columns=data.feature_names)\n"
        "df['target'] = data.target\ndf.describe()",
        "df['bmi_bp'] = df['bmi'] * df['bp']\n"
        "X = np.column_stack([df['age'], df['bmi'], df['bp'], df['bmi_bp'], np.log1p(df['s5'] + 1)])\n"
        "y = df['target'].values",
        "np.random.seed(7)\nX_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)",
        "scaler = StandardScaler()\nmodel = Ridge(alpha=0.5)\nmodel.fit(scaler.fit_transform(X_train), y_train)\n"
        "print('r2', model.score(scaler.transform(X_test), y_test))",
    )
    _write(repo, "diabetes.ipynb", nb)


def measures_dropped_then_array(repo: Path) -> None:
    """Rows dropped (``dropna``) before the frame becomes an array that is then split: the array's
    rows cannot be matched to the loaded table's by position, so raw records are not served."""
    rng = np.random.default_rng(11)
    n = 300
    frame = pd.DataFrame({"width": rng.normal(10, 2, n).round(2), "height": rng.normal(20, 4, n).round(2)})
    frame.loc[rng.choice(n, 25, replace=False), "height"] = np.nan
    frame["label"] = (frame["width"] * 2 > frame["height"].fillna(20)).astype(int)
    repo.mkdir(parents=True)
    frame.to_csv(repo / "measures.csv", index=False)
    nb = notebook(
        IMPORTS + "from sklearn.linear_model import LogisticRegression",
        "df = pd.read_csv('measures.csv')\ndf = df.dropna()\ndf['ratio'] = df['width'] / df['height']",
        "X = df[['width', 'height', 'ratio']].values\ny = df['label'].values\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
        "model = LogisticRegression().fit(X_train, y_train)",
    )
    _write(repo, "measures.ipynb", nb)


def voyage_map_astype(repo: Path) -> None:
    """Shaped like public Titanic notebooks: a gap filled by a condition (``.loc[isna, c] = 'S'``),
    ``.map({...}).astype(int)`` (which fails on a value the map lacks), a family-size sum, a mean
    fill, a scaler fitted before the model."""
    rng = np.random.default_rng(11)
    n = 700
    frame = pd.DataFrame({
        "PassengerId": range(1, n + 1), "Pclass": rng.choice([1, 2, 3], n, p=[0.25, 0.2, 0.55]),
        "Sex": rng.choice(["male", "female"], n), "Age": rng.normal(30, 13, n).round(0).clip(1, 80),
        "SibSp": rng.choice([0, 1, 2, 3], n, p=[0.6, 0.25, 0.1, 0.05]), "Parch": rng.choice([0, 1, 2], n, p=[0.7, 0.2, 0.1]),
        "Fare": rng.gamma(2, 16, n).round(2), "Embarked": rng.choice(["S", "C", "Q", None], n, p=[0.7, 0.18, 0.1, 0.02])})
    frame.loc[rng.choice(n, 60, replace=False), "Age"] = np.nan
    score = (frame["Sex"] == "female") * 1.2 - 0.4 * frame["Pclass"] + frame["Fare"] / 80 + rng.normal(0, 0.5, n)
    frame["Survived"] = (score > 0).astype(int)
    repo.mkdir(parents=True)
    frame.to_csv(repo / "train.csv", index=False)
    nb = notebook(
        IMPORTS + "from sklearn.preprocessing import StandardScaler\nfrom sklearn.linear_model import LogisticRegression",
        "data = pd.read_csv('train.csv')\ndata.info()",
        "data.loc[data['Embarked'].isna(), 'Embarked'] = 'S'\n"
        "data['Sex'] = data['Sex'].map({'male': 0, 'female': 1}).astype(int)\n"
        "data['Embarked'] = data['Embarked'].map({'S': 0, 'C': 1, 'Q': 2}).astype(int)\n"
        "data['FamilySize'] = data['SibSp'] + data['Parch'] + 1\n"
        "data['Age'] = data['Age'].fillna(data['Age'].mean())",
        "X = data.drop(['PassengerId', 'Survived'], axis=1)\ny = data['Survived']\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)",
        "scaler = StandardScaler()\nX_train = scaler.fit_transform(X_train)\nX_test = scaler.transform(X_test)",
        "model = LogisticRegression(max_iter=500).fit(X_train, y_train)\nprint(model.score(X_test, y_test))",
    )
    _write(repo, "titanic.ipynb", nb)


def _write(repo: Path, name: str, nb) -> None:
    import nbformat

    repo.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, repo / name)
    (repo / "requirements.txt").write_text("pandas\nnumpy\nscikit-learn\nmatplotlib\n")


REPOS = {"loans": loans, "houses-groupby": houses_groupby, "pipeline-inside": pipeline_inside,
         "wine-bundled": wine_bundled, "diabetes-arrays": diabetes_arrays,
         "measures-dropped-then-array": measures_dropped_then_array, "voyage-map-astype": voyage_map_astype}
