from django import forms
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile

from lib import uploads
from newsletter.models import Infographic


class SignupForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    name = forms.CharField(
        label="First name (optional)",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A column named “email” (and optionally “name”), or one address per line.",
    )
    opted_in_elsewhere = forms.BooleanField(
        label="These people opted in elsewhere (for example on a previous mailing list)",
        required=False,
        help_text=(
            "Ticked: new addresses are added as confirmed. Unticked: they are added as pending "
            "and receive nothing until you select them and choose “Send confirmation email”."
        ),
    )

    def clean_file(self) -> str:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if (upload.size or 0) > 5 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 5 MB; split it up.")
        try:
            text: str = upload.read().decode("utf-8-sig")
            return text
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("Save the file as CSV in UTF-8 and try again.") from exc


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the program's time zone.",
    )


class InfographicForm(forms.ModelForm[Infographic]):
    class Meta:
        model = Infographic
        fields = ["title", "file", "active"]

    def clean_file(self) -> File[bytes]:
        """An image is stored re-encoded (pixels only); a PDF as uploaded."""
        upload: File[bytes] = self.cleaned_data["file"]
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged: the stored file was checked when it was uploaded
        if uploads.content_type(upload) in uploads.IMAGE_FORMATS:
            return uploads.reencode_image(upload)
        return upload
