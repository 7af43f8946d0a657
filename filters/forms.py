from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from filters.models import TasteProfile


class TrackSearchForm(forms.Form):
    q = forms.CharField(label=_("Search songs or artists"), max_length=100, required=False, strip=True)


class FavouriteForm(forms.Form):
    """The song step's buttons: add or remove a favourite, or go on."""

    add = forms.IntegerField(required=False, min_value=1)
    remove = forms.IntegerField(required=False, min_value=1)


class ChoiceStepForm(forms.Form):
    """One picture-button step: mood, speed or emotion."""

    choice = forms.ChoiceField(widget=forms.RadioSelect, error_messages={"required": _("Please pick one.")})

    def __init__(self, *args, field: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = TasteProfile._meta.get_field(field).choices
