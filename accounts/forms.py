from typing import Any

from django import forms
from django.http import HttpRequest

from accounts.models import User, time_zone_choices


class SignupExtraForm(forms.Form):
    """Fields asked at sign-up besides email and password (allauth's signup form extends this)."""

    display_name = forms.CharField(
        max_length=80,
        label="Your name",
        help_text="As other learners will see it, e.g. “Dana R.”",
    )
    credentials = forms.CharField(
        max_length=80,
        required=False,
        label="Professional credentials",
        help_text="Optional: LMHC, PhD…",
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial="America/New_York",
        help_text="Live group times are shown in this zone.",
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.credentials = self.cleaned_data["credentials"]
        user.time_zone = self.cleaned_data["time_zone"]
        user.save(update_fields=["display_name", "credentials", "time_zone"])


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["display_name", "credentials", "time_zone", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        labels = {"display_name": "Your name"}


class DeleteAccountForm(forms.Form):
    """The last step before deleting an account: a choice about forum posts and the password."""

    forum_posts = forms.ChoiceField(
        label="Your forum posts",
        choices=[
            ("keep", "Keep them, shown as written by “Former member”"),
            ("erase", "Erase their text (replies by others stay)"),
        ],
        initial="keep",
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To make sure it is you.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class SetupCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the email",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError("The code is six digits.")
        return code
