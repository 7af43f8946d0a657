from django.urls import path

from recommendations import views, views_discover

app_name = "recommendations"

urlpatterns = [
    path("today/", views.today, name="today"),
    path("today/loading/", views.today_loading, name="today-loading"),
    path("today/status/", views.today_status, name="today-status"),
    path("today/reroll/", views.today_reroll, name="today-reroll"),
    path("today/save-playlist/", views.today_save_playlist, name="today-save-playlist"),
    path("today/player-token/", views.player_token, name="player-token"),
    path("tracks/<int:track_id>/audio/", views.track_audio, name="track-audio"),
    path("tracks/<int:track_id>/react/", views.track_react, name="track-react"),
    path("situation/", views_discover.situation_search, name="situation"),
    path("picks/", views_discover.playlist_picks, name="playlist-picks"),
]
