"""The taste wizard: favourite song, then mood, speed and emotion as picture buttons; saved step by step."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from filters.forms import ChoiceStepForm, FavouriteForm, TrackSearchForm
from filters.selectors import favourites_of, taste_for, track_summary, tracks_for_wizard, wizard_suggestions
from filters.services import (
    MAX_FAVOURITES,
    TooManyFavourites,
    taste_choose,
    taste_complete,
    taste_favourite_add,
    taste_favourite_remove,
    taste_reset,
)
from ingestion.models import Track
from recommendations.services.today import today_request

# (step, URL name, label in the progress indicator), in order.
STEPS = (
    ("song", "filters:wizard", gettext_lazy("Favourite song")),
    ("mood", "filters:wizard-mood", gettext_lazy("Mood")),
    ("speed", "filters:wizard-speed", gettext_lazy("Speed")),
    ("emotion", "filters:wizard-emotion", gettext_lazy("Feeling")),
)
QUESTIONS = {
    "mood": gettext_lazy("Which mood do you want today?"),
    "speed": gettext_lazy("How fast should the songs be?"),
    "emotion": gettext_lazy("How do you feel right now?"),
}
HINTS = {
    "bright": gettext_lazy("Sunny, happy songs"),
    "dark": gettext_lazy("Moody, melancholic songs"),
    "slow": gettext_lazy("Relaxed, unhurried songs"),
    "fast": gettext_lazy("Driving, up-tempo songs"),
    "depressed": gettext_lazy("Gentle songs for a heavy heart"),
    "normal": gettext_lazy("Songs for an ordinary day"),
    "excited": gettext_lazy("Songs full of energy"),
}


@login_required
def wizard_song(request: HttpRequest) -> HttpResponse:
    """Step 1: search the catalog or pick a suggestion; up to MAX_FAVOURITES songs, or none (skip)."""
    if request.method == "POST":
        return _song_post(request)
    taste = taste_for(user=request.user)
    search = TrackSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    favourites = favourites_of(taste=taste)
    context = {
        **_progress("song"),
        "search": search,
        "query": query,
        "results": tracks_for_wizard(query=query) if query else [],
        "suggestions": wizard_suggestions(),
        "favourites": favourites,
        "favourite_ids": {track.pk for track in favourites},
        "max_favourites": MAX_FAVOURITES,
    }
    return render(request, "filters/wizard_song.html", context)


def _song_post(request: HttpRequest) -> HttpResponse:
    """Add or remove a favourite. A script (Accept: JSON) gets the new favourites list and stays on its results;
    without JavaScript the page comes back with the same search, so choosing never loses the results."""
    form = FavouriteForm(request.POST)
    if "next" in request.POST or not form.is_valid():
        return redirect("filters:wizard-mood")
    message, level = "", messages.SUCCESS
    if form.cleaned_data["add"]:
        track = get_object_or_404(Track, pk=form.cleaned_data["add"], is_hidden=False)
        try:
            if taste_favourite_add(user=request.user, track=track):
                message = _("Added “%(name)s” to your favourites.") % {"name": track.name}
        except TooManyFavourites:
            message = _("You can pick up to %(count)d songs. Remove one first.") % {"count": MAX_FAVOURITES}
            level = messages.WARNING
    elif form.cleaned_data["remove"]:
        taste_favourite_remove(user=request.user, track_id=form.cleaned_data["remove"])
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(_favourites_answer(request, message=message, ok=level == messages.SUCCESS))
    if message:
        messages.add_message(request, level, message)
    query = request.POST.get("q", "").strip()[:100]
    return redirect(f"{reverse('filters:wizard')}?{urlencode({'q': query})}" if query else "filters:wizard")


def _favourites_answer(request: HttpRequest, *, message: str, ok: bool) -> dict:
    favourites = favourites_of(taste=taste_for(user=request.user))
    html = render_to_string(
        "filters/_favourites.html", {"favourites": favourites, "max_favourites": MAX_FAVOURITES}, request=request
    )
    return {"ok": ok, "message": message, "favourite_ids": [track.pk for track in favourites], "html": html}


@login_required
def wizard_choice(request: HttpRequest, step: str) -> HttpResponse:
    """Steps 2-4: one choice as large picture buttons; the last step finishes the wizard."""
    taste = taste_for(user=request.user)
    current = getattr(taste, step) if taste else ""
    data = request.POST if request.method == "POST" else None
    form = ChoiceStepForm(data, field=step, initial={"choice": current or None})
    if request.method == "POST" and form.is_valid():
        taste_choose(user=request.user, field=step, value=form.cleaned_data["choice"])
        if step != STEPS[-1][0]:
            return redirect(STEPS[[name for name, *_rest in STEPS].index(step) + 1][1])
        return _finish(request)
    choices = [
        {"value": value, "label": label, "hint": HINTS[value], "art": f"img/wizard/{value}.svg"}
        for value, label in form.fields["choice"].choices
    ]
    selected = form.data.get("choice") if form.is_bound else current
    context = {**_progress(step), "form": form, "question": QUESTIONS[step], "choices": choices, "selected": selected}
    return render(request, "filters/wizard_choice.html", context, status=400 if form.is_bound else 200)


def _finish(request: HttpRequest) -> HttpResponse:
    """Mark the taste complete and ask for today's songs (a list made before the taste changed is replaced)."""
    taste_complete(user=request.user)
    today_request(user=request.user)
    return redirect("recommendations:today-loading")


@login_required
@require_POST
def wizard_reset(request: HttpRequest) -> HttpResponse:
    taste_reset(user=request.user)
    messages.info(request, _("Your choices were cleared. Let's start again."))
    return redirect("filters:wizard")


@require_GET
def track_search(request: HttpRequest) -> JsonResponse:
    """?q=…: up to ten matching tracks as JSON, for search-as-you-type (at least two characters)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in to search the catalog.")}, status=401)
    form = TrackSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    tracks = tracks_for_wizard(query=query)
    return JsonResponse({"query": query, "results": [track_summary(track) for track in tracks]})


def _progress(step: str) -> dict:
    names = [name for name, *_rest in STEPS]
    index = names.index(step)
    return {
        "step": step,
        "step_number": index + 1,
        "step_count": len(STEPS),
        "steps": [
            {"name": name, "url": reverse(url_name), "label": label, "done": i < index, "current": i == index}
            for i, (name, url_name, label) in enumerate(STEPS)
        ],
        "back_url": reverse(STEPS[index - 1][1]) if index else "",
    }
