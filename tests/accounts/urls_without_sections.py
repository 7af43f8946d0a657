"""The site's URLs before the other sections exist: the layout must render without them."""
from django.contrib import admin
from django.urls import include, path

from recommendations import views as recommendation_views

urlpatterns = [
    path("", recommendation_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
