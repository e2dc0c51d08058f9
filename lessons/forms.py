from django import forms

from lessons.models import NOTE_MAX_LENGTH


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Your notes on this lesson",
        required=False,
        strip=False,  # kept exactly as typed; an empty note is deleted
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Private: only you can read them. They are saved as you type.",
        error_messages={
            "max_length": (
                "Notes on one lesson can be at most %(limit_value)s characters long "
                "(these are %(show_value)s). Shorten them to save."
            )
        },
    )


class PositionForm(forms.Form):
    """Where a player stopped: sent by static/js/lesson_tools.js."""

    material = forms.ChoiceField(choices=[("video", "video"), ("podcast", "podcast")])
    seconds = forms.FloatField(min_value=0, max_value=24 * 60 * 60)
