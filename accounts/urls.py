from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/api-tokens/", views.api_token_new, name="api-token-new"),
    path("profile/api-tokens/<int:token_id>/revoke/", views.api_token_delete, name="api-token-revoke"),
    # Before allauth's own page of the same path (accounts.views.connections says why).
    path("3rdparty/", views.connections, name="connections"),
]
