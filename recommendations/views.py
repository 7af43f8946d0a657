from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from recommendations.selectors import catalog_overview


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"overview": catalog_overview()})
