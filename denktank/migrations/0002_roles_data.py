from django.db import migrations

ROLES = ["Bestuur", "Werving", "Deelnemer", "Kamerlid"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    Site = apps.get_model("sites", "Site")
    Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1:8000", "name": "Denktank Vrijheid, Werk en AI"})


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("denktank", "0001_initial"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
