"""A secret per waitlist entry, for the person's own link to leave the list (issue 20).

Added empty, filled row by row, then made unique: a callable default in a single AddField is
evaluated once, which would give every existing entry the same token.
"""

from django.db import migrations, models

import courses.models


def fill_tokens(apps, schema_editor):
    WaitlistEntry = apps.get_model("courses", "WaitlistEntry")
    for entry in WaitlistEntry.objects.filter(leave_token__isnull=True).only("pk"):
        entry.leave_token = courses.models.new_leave_token()
        entry.save(update_fields=["leave_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_payment_row_checkout_window_event_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="waitlistentry",
            name="leave_token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="waitlistentry",
            name="leave_token",
            field=models.CharField(
                default=courses.models.new_leave_token,
                editable=False,
                max_length=64,
                unique=True,
            ),
        ),
    ]
