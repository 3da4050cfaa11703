from django.db import migrations


def count_words(apps, schema_editor):
    """Fill the stored word count of the revisions saved before it existed."""
    Revision = apps.get_model("documents", "Revision")
    batch = []
    # A few hundred texts at a time: a long history never sits in memory at once.
    for revision in Revision.objects.only("pk", "text").iterator(chunk_size=200):
        revision.word_count = len(revision.text.split())
        batch.append(revision)
        if len(batch) == 200:
            Revision.objects.bulk_update(batch, ["word_count"])
            batch = []
    Revision.objects.bulk_update(batch, ["word_count"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0009_revision_word_count")]

    operations = [migrations.RunPython(count_words, migrations.RunPython.noop)]
