"""Train the small scikit-learn regression model the example serves (written to ./model)."""

from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import Ridge

rng = np.random.default_rng(0)
features = rng.random((200, 10))
target = features @ np.arange(1, 11) + rng.normal(0, 0.1, 200)
Path("model").mkdir(exist_ok=True)
joblib.dump(Ridge(alpha=0.1).fit(features, target), "model/sklearn_regression_model.pkl")
print("model/sklearn_regression_model.pkl written")
