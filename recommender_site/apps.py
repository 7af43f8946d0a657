from django.apps import AppConfig


class ServingConfig(AppConfig):
    """The project package as an app, for what serving the site needs: run_prod, /health/, logs, limits."""

    name = "recommender_site"
    verbose_name = "Serving"
