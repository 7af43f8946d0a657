from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(AllauthLoginForm):
    """allauth's login form with a label that says what to type (its own label is just "Login")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Username or email")
        self.fields["login"].widget.attrs["autocomplete"] = "username"


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        strip=True,
        help_text=_("Something to recognise it by, e.g. “my script”."),
        # A nameless token cannot be told apart from the others when one must be revoked.
        error_messages={"required": _("Give the token a name, e.g. “my script”, so you can tell it apart later.")},
    )
