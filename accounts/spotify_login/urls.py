from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from accounts.spotify_login.provider import SpotifyLoginProvider

urlpatterns = default_urlpatterns(SpotifyLoginProvider)
