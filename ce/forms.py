"""The post-test and the evaluation, built from the questions staff wrote."""

from __future__ import annotations

from django import forms

from ce.models import EvaluationQuestion, PostTestQuestion


class PostTestForm(forms.Form):
    """One radio group per question (`q<id>`), choices as given (already shuffled)."""

    def __init__(self, *args, questions: list[PostTestQuestion], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for number, question in enumerate(questions, start=1):
            choices = getattr(question, "shuffled_choices", None) or list(question.choices.all())
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=f"{number}. {question.text}",
                choices=[(c.pk, c.text) for c in choices],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose an answer."},
            )

    def answers(self) -> dict[int, int]:
        return {q.pk: self.cleaned_data[f"q{q.pk}"] for q in self.questions}


class EvaluationForm(forms.Form):
    SCALE = [(n, str(n)) for n in range(1, 6)]

    def __init__(self, *args, questions: list[EvaluationQuestion], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            name = f"e{question.pk}"
            if question.kind == EvaluationQuestion.Kind.SCALE:
                self.fields[name] = forms.TypedChoiceField(
                    label=question.text,
                    choices=self.SCALE,
                    coerce=int,
                    widget=forms.RadioSelect,
                    required=question.required,
                    empty_value=None,
                    help_text="1 is poor, 5 is excellent.",
                )
            else:
                self.fields[name] = forms.CharField(
                    label=question.text,
                    widget=forms.Textarea(attrs={"rows": 4}),
                    max_length=3000,
                    required=question.required,
                )

    def answers(self) -> dict[int, int | str]:
        return {
            q.pk: self.cleaned_data[f"e{q.pk}"]
            for q in self.questions
            if self.cleaned_data.get(f"e{q.pk}") not in (None, "")
        }


class CertificateNameForm(forms.Form):
    """The name and credentials the certificate prints, exactly as the learner enters them."""

    name = forms.CharField(
        label="Your name as it should appear on the certificate",
        max_length=80,
        help_text="Usually your full name as your licensing board knows it.",
    )
    credentials = forms.CharField(
        label="Credentials", max_length=80, required=False, help_text="For example LMHC, PhD."
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_credentials(self) -> str:
        return " ".join(self.cleaned_data["credentials"].split())


class RevokeForm(forms.Form):
    ACTIONS = [("revoke", "Revoke"), ("reissue", "Revoke and reissue with a new code")]

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, initial="revoke")
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit log, and shown to staff with the certificate.",
    )
    name = forms.CharField(
        label="Name on the new certificate",
        max_length=80,
        required=False,
        help_text="When reissuing: leave empty to keep the name as it was.",
    )
    credentials = forms.CharField(
        label="Credentials on the new certificate",
        max_length=80,
        required=False,
        help_text="When reissuing: leave empty to keep them as they were.",
    )
