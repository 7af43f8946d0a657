from django.urls import path

from accounts import views, views_login

app_name = "accounts"
urlpatterns = [
    # Before allauth's own /accounts/login/ (same path and template): too many failed logins answer 429.
    path("login/", views_login.login, name="login"),
    path("profile/", views.profile, name="profile"),
    path("profile/api-tokens/", views.api_token_new, name="api-token-new"),
    path("profile/api-tokens/<int:token_id>/revoke/", views.api_token_delete, name="api-token-revoke"),
]
