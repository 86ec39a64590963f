"""Integrations with machine-learning libraries (scikit-learn, XGBoost, LightGBM, PyTorch).

Each lives in its own subpackage and imports its library only when used, failing with an install
hint (``pip install "tuningfork[sklearn]"``) when it is missing.
"""

__all__: list[str] = []
