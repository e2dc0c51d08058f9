from django import forms

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

    def signup(self, request, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.credentials = self.cleaned_data["credentials"]
        user.time_zone = self.cleaned_data["time_zone"]
        user.save(update_fields=["display_name", "credentials", "time_zone"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "credentials", "time_zone", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        labels = {"display_name": "Your name"}
