"""Forum forms. Each lists its fields explicitly: pinned, locked, author, category and the like
are never taken from a member's POST."""

from typing import Any

from django import forms

from forum import rendering
from forum.models import ForumProfile, Post, Report
from lib.identifiers import find_identifiers, summary

BODY_HELP = (
    "Markdown works: **bold**, *italic*, > quote, - lists, [link](https://…). "
    "Mention a member with @handle."
)


class ComposerForm(forms.Form):
    """Body + format, with the gentle identifier check of the Q&A form: when the text looks
    identifying and the member has not confirmed, the form comes back with a summary and a
    "post anyway" checkbox; nothing typed is lost."""

    body = forms.CharField(
        label="Your post",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "forum-composer-body"}),
        help_text=BODY_HELP,
    )
    format = forms.ChoiceField(
        label="Format", choices=Post.Format.choices, initial=Post.Format.MARKDOWN
    )
    post_anyway = forms.BooleanField(
        label="I have checked: nothing here identifies a client. Post anyway.",
        required=False,
        widget=forms.HiddenInput,
    )

    identifier_summary = ""
    blank_html_is_constant = True  # see lib.templatetags.htw.form_fields

    def text_to_check(self) -> str:
        body: str = self.cleaned_data.get("body", "")
        return body

    def clean_body(self) -> str:
        """A mention of a handle nobody has would reach nobody: say so, with the handle."""
        body: str = self.cleaned_data["body"]
        fmt = self.data.get("format")
        handles = rendering.mentions_shown(
            body, fmt if fmt in Post.Format.values else Post.Format.MARKDOWN
        )
        known = set(
            ForumProfile.objects.filter(handle__in=handles, user__is_active=True).values_list(
                "handle", flat=True
            )
        )
        unknown = [f"@{h}" for h in handles if h not in known]
        if unknown:
            raise forms.ValidationError(
                f"No member has the handle {', '.join(unknown)}. Check the spelling (typing @ "
                "suggests members who can read this topic), or remove the @."
            )
        return body

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        findings = find_identifiers(self.text_to_check())
        if findings and not cleaned.get("post_anyway"):
            self.identifier_summary = summary(findings)
            self.fields["post_anyway"].widget = forms.CheckboxInput()
            raise forms.ValidationError(
                f"{self.identifier_summary} Please remove or change it, or tick “post anyway”."
            )
        return cleaned


class TopicForm(ComposerForm):
    title = forms.CharField(label="Title", max_length=200)

    field_order = ["title", "body", "format", "post_anyway"]

    def text_to_check(self) -> str:
        return f"{self.cleaned_data.get('title', '')}\n{self.cleaned_data.get('body', '')}"


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you reporting this post?",
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label="Anything staff should know (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettingsForm(forms.ModelForm[ForumProfile]):
    class Meta:
        model = ForumProfile
        fields = ["email_mode"]
        widgets = {"email_mode": forms.RadioSelect}


class SearchForm(forms.Form):
    q = forms.CharField(label="Search the forum", max_length=200, required=False)
