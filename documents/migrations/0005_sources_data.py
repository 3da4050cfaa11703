"""The sources the founding note cites, with only what the note states.

Empty fields are for the board to complete; nothing here is looked up or guessed.
"""

from django.db import migrations

SOURCES = [
    # key, authors, year, title, publisher or journal
    ("bijstandsexperimenten", "", "2017–2019", "Nederlandse bijstandsexperimenten", ""),
    (
        "fins-experiment",
        "",
        "2022",
        "Fins basisinkomenexperiment (2017–2018)",
        "American Economic Journal: Economic Policy",
    ),
    ("givedirectly", "GiveDirectly", "2017–2024", "GiveDirectly-experiment in Kenia", ""),
    ("stockton-seed", "", "2019–2021", "Stockton SEED-programma", ""),
    ("openresearch", "OpenResearch", "2021–2023", "OpenResearch-experiment", ""),
    ("chang2024", "Chang et al.", "2024", "", ""),
    ("hyman2025", "Hyman et al.", "2025", "", "National Bureau of Economic Research (NBER)"),
    ("brookings2025", "Brookings", "2025", "", ""),
    ("convergence2025", "Convergence Analysis", "2025", "", ""),
    ("ser2025", "Sociaal-Economische Raad", "2025", "Advies over AI en de arbeidsmarkt (mei 2025)", ""),
    ("borstlap", "Commissie Borstlap", "", "", ""),
    ("friedman1962", "Milton Friedman", "1962", "", ""),
    ("hayek", "Friedrich Hayek", "", "The Constitution of Liberty", ""),
    ("dahrendorf", "Ralf Dahrendorf", "", "", ""),
    ("atkinson", "Atkinson", "", "", ""),
]


def load(apps, schema_editor):
    Source = apps.get_model("documents", "Source")
    for key, authors, year, title, publisher in SOURCES:
        Source.objects.get_or_create(
            key=key, defaults={"authors": authors, "year": year, "title": title, "publisher": publisher}
        )


def unload(apps, schema_editor):
    apps.get_model("documents", "Source").objects.filter(key__in=[s[0] for s in SOURCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_reports")]

    operations = [migrations.RunPython(load, unload)]
