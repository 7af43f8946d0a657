from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from ingestion.admin.common import LabelledAutocompleteJsonView
from recommendations import api, openapi
from recommendations import views as recommendation_views
from recommender_site import views_login

urlpatterns = [
    path("", recommendation_views.home, name="home"),
    # Before the admin's own autocomplete (same path and name): results say which track is which (artist, album).
    path(
        "admin/autocomplete/",
        admin.site.admin_view(LabelledAutocompleteJsonView.as_view(admin_site=admin.site)),
        name="admin-autocomplete",
    ),
    path("admin/", admin.site.urls),
    path("api/", openapi.api_docs, name="api-docs"),
    path("api/openapi.json", openapi.openapi_json, name="openapi-json"),
    path("api/v1/recommendations/content", api.content_recommendations, name="api-content"),
    path("api/v1/recommendations/clusters", api.cluster_recommendations, name="api-clusters"),
    path("api/v1/recommendations/situation", api.situation_recommendations, name="api-situation"),
    # Before allauth's own /accounts/login/ (same path and template): too many failed logins answer 429.
    path("accounts/login/", views_login.login, name="login-limited"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("taste/", include("filters.urls")),
    path("", include("recommendations.urls")),
]
# A database or cache outage is a 503 with Retry-After (not a 500); allauth's rate limits answer with our 429 page.
handler500 = "recommender_site.errors.handler500"
handler400 = "recommender_site.errors.handler400"
handler429 = "recommender_site.ratelimits.handler429"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
