"""allauth's login view, answering 429 once its failed-login limit is reached.

allauth counts failed logins (ACCOUNT_RATE_LIMITS["login_failed"]: per IP and per account) but then shows the
form again with "too many failed login attempts" and status 200. A client guessing passwords should see 429 with
Retry-After, as it does for every other limit of the site; a person sees the site's "too many tries" page.
"""
from allauth.account import app_settings as account_settings
from allauth.account.views import LoginView as AllauthLoginView
from allauth.core.internal.ratelimit import get_rates
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse

from recommender_site.ratelimits import ALLAUTH_RETRY_AFTER_SECONDS, too_many_requests_page


def _failed_login_window_seconds() -> int:
    rates = get_rates(app="allauth.account", action="login_failed", config=account_settings.RATE_LIMITS)
    return int(max((rate.duration for rate in rates), default=ALLAUTH_RETRY_AFTER_SECONDS))


class LoginView(AllauthLoginView):
    def form_invalid(self, form) -> HttpResponse:
        errors = form.errors.as_data().get(NON_FIELD_ERRORS, [])
        if any(error.code == "too_many_login_attempts" for error in errors):
            return too_many_requests_page(self.request, _failed_login_window_seconds())
        return super().form_invalid(form)


login = LoginView.as_view()
