from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.views import connections as allauth_connections
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from accounts.services import (
    ApiTokenLimitReached,
    api_token_create,
    api_token_revoke,
    spotify_disconnect_without_app,
    spotify_is_premium,
    spotify_login_enabled,
)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return _profile_page(request, token_form=ApiTokenForm())


def _profile_page(request: HttpRequest, *, token_form: ApiTokenForm, status: int = 200) -> HttpResponse:
    """The listener's account: Spotify connection, password and email links, API tokens; the liked songs come
    from a recommendations template tag in the page (accounts sits below recommendations)."""
    spotify_account = SocialAccount.objects.filter(user=request.user, provider="spotify").first()
    context = {
        "spotify_account": spotify_account,
        "spotify_name": (spotify_account.extra_data or {}).get("display_name") if spotify_account else None,
        "spotify_premium": spotify_is_premium(user=request.user) if spotify_account else False,
        "spotify_on": spotify_login_enabled(),
        "api_tokens": ApiToken.objects.filter(user=request.user),
        "token_form": token_form,
        "new_api_key": request.session.pop("new_api_key", None),
    }
    return render(request, "account/profile.html", context, status=status)


@login_required
@require_POST
def api_token_new(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, token_form=form, status=400)  # the page again, with the reason
    try:
        # Shown once on the next page (POST-redirect-GET), never stored in clear.
        request.session["new_api_key"] = api_token_create(user=request.user, name=form.cleaned_data["name"])
    except ApiTokenLimitReached:
        messages.error(request, _("You have the most API tokens allowed. Revoke one you no longer use first."))
    return redirect("accounts:profile")


@login_required
@require_POST
def api_token_delete(request: HttpRequest, token_id: int) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=token_id):
        messages.success(request, _("The API token is revoked."))
    return redirect("accounts:profile")


def connections(request: HttpRequest) -> HttpResponse:
    """allauth's "Account connections" page; on a server without a Spotify app its "Remove" still works (allauth's
    would answer 500 asking the missing app), so a listener can always take their Spotify connection away."""
    if spotify_login_enabled() or request.method != "POST" or not request.user.is_authenticated:
        return allauth_connections(request)
    raw = request.POST.get("account", "").strip()
    account_id = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    if account_id is not None and spotify_disconnect_without_app(user=request.user, account_id=account_id):
        messages.success(request, _("Spotify is disconnected from your account."))
    else:
        messages.error(request, _("Choose the connection to remove."))
    return redirect("socialaccount_connections")
