from __future__ import annotations

from typing import Any

from django import forms

from contact.models import ContactMessage
from courses.models import Course

# The waitlist keeps a shorter message (courses.WaitlistEntry.message).
WAITLIST_MESSAGE_MAX = 2000
# The trap field: hidden from people (and screen readers), filled in by form-filling bots.
HONEYPOT = "website"


class ContactForm(forms.ModelForm[ContactMessage]):
    course = forms.ModelChoiceField(
        queryset=Course.objects.only("id", "number", "title").order_by("order", "number"),
        required=False,
        label="Trimester",
        empty_label="Choose a trimester",
        help_text="For the waitlist: the trimester whose next run you want to join.",
    )

    class Meta:
        model = ContactMessage
        fields = ["name", "email", "topic", "course", "message"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "message": forms.Textarea(attrs={"rows": 6}),
        }
        help_texts = {
            "message": "Needed for every topic but the waitlist. Only staff read it; please "
            "leave out anything about your clients.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Required for every topic but the waitlist (checked in clean()).
        self.fields["message"].required = False

    @property
    def is_bot(self) -> bool:
        return bool(str(self.data.get(HONEYPOT, "")).strip())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        message = data.get("message", "")
        if data.get("topic") == ContactMessage.Topic.WAITLIST:
            if not data.get("course"):
                self.add_error("course", "Choose the trimester whose waitlist you want to join.")
            if len(message) > WAITLIST_MESSAGE_MAX:
                self.add_error(
                    "message",
                    f"For the waitlist, keep the message to {WAITLIST_MESSAGE_MAX} characters "
                    f"(it has {len(message)}).",
                )
        elif "topic" in data and not message.strip():
            self.add_error("message", "Write your message.")
        return data
