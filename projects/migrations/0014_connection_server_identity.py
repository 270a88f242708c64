from django.db import migrations, models

from projects.models.server_addresses import server_address


def fill_server_addresses(apps, schema_editor):
    LabelStudioConnection = apps.get_model("projects", "LabelStudioConnection")
    for connection in LabelStudioConnection.objects.only("pk", "url"):
        LabelStudioConnection.objects.filter(pk=connection.pk).update(server_address=server_address(connection.url))


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0013_default_error_categories"),
    ]

    operations = [
        migrations.AddField(
            model_name="labelstudioconnection",
            name="server_address",
            field=models.CharField(
                db_index=True,
                default="",
                editable=False,
                help_text="The URL normalised: one spelling per server.",
                max_length=300,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="labelstudioconnection",
            name="server_identity",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                help_text="What the server says it is (its organization's creation time), read at each check and push.",
                max_length=200,
            ),
        ),
        migrations.RunPython(fill_server_addresses, migrations.RunPython.noop),
    ]
