from tests.recommendations.conftest import model_storage  # noqa: F401  (temporary model files per test)
