from django.urls import path

from filters import views

app_name = "filters"

urlpatterns = [
    path("", views.wizard_song, name="wizard"),
    path("mood/", views.wizard_choice, {"step": "mood"}, name="wizard-mood"),
    path("speed/", views.wizard_choice, {"step": "speed"}, name="wizard-speed"),
    path("emotion/", views.wizard_choice, {"step": "emotion"}, name="wizard-emotion"),
    path("reset/", views.wizard_reset, name="wizard-reset"),
    path("search/", views.track_search, name="track-search"),
]
