"""The nine expertise profiles of the founding note, with the board's own short descriptions."""

from django.db import migrations

PROFILES = [
    (
        "arbeidsmarkteconomie",
        "Arbeidsmarkteconomie",
        "Kent de Nederlandse arbeidsmarktcijfers en kan duiden hoe snel en hoe diep AI het werk verandert, bijvoorbeeld vanuit CPB, UWV, SER of een universiteit.",
    ),
    (
        "ai-praktijk",
        "AI en technologie in de praktijk",
        "Ziet dagelijks wat AI in organisaties doet: welke taken het overneemt, in welke sectoren en op welke termijn. Denk aan een ondernemer, CTO, productleider of adviseur.",
    ),
    (
        "ondernemer",
        "Ondernemer in een AI-kwetsbare sector",
        "Maakt de verandering als ondernemer zelf mee, in de kennissector waar werk verdwijnt of in een sector waar juist mensen tekortkomen.",
    ),
    (
        "werknemer",
        "Werknemer of zelfstandige in een AI-kwetsbare sector",
        "Merkt in het eigen werk hoe AI dat werk verandert, liefst met ervaring in medezeggenschap (OR, MR of vakbond), en brengt het perspectief van werknemer of zzp'er in.",
    ),
    (
        "fiscaliteit",
        "Fiscaliteit en sociale zekerheid",
        "Kent toeslagen, WW en het belastingstelsel van binnenuit en kan hervormingsvoorstellen op hun merites beoordelen.",
    ),
    (
        "filosofie",
        "Liberale politieke filosofie",
        "Kan verwoorden wat vrijheid, verantwoordelijkheid en sociale rechtvaardigheid betekenen als werk verandert, en houdt de groep scherp op de liberale identiteit.",
    ),
    (
        "hr",
        "HR of arbeidsmarktpraktijk",
        "Kijkt vanuit werkgevers naar de verandering, bijvoorbeeld als HR-directeur, bij een sectororganisatie of als arbeidsmarktadviseur, bij voorkeur met ervaring met eerdere automatisering.",
    ),
    (
        "uitvoering",
        "Uitvoeringsperspectief",
        "Weet hoe het sociale stelsel uitpakt voor wie erop aangewezen is, vanuit een gemeente, uitvoeringsorganisatie of maatschappelijke organisatie.",
    ),
    (
        "jong",
        "Jonge deelnemer",
        "Jonger dan 35 op de dag van de kick-off. Volgt uit de geboortedatum; je kiest dit profiel niet zelf.",
    ),
]

DECISION_MAILS = [
    (
        "waitlist",
        "Je aanmelding voor de denktank: reservelijst",
        "Beste {name},\n\nDank voor je aanmelding voor de denktank Vrijheid, Werk en AI. Alle twaalf plaatsen zijn vergeven, maar we hebben je op de reservelijst gezet. Komt er een plaats vrij, dan nemen we contact met je op.\n\nMet vriendelijke groet,\nhet bestuur van TN EZI",
    ),
    (
        "rejection",
        "Je aanmelding voor de denktank",
        "Beste {name},\n\nDank voor je aanmelding voor de denktank Vrijheid, Werk en AI. Er waren veel sterke aanmeldingen en we hebben een groep moeten samenstellen die alle profielen dekt. We kunnen je helaas geen plaats aanbieden.\n\nMet vriendelijke groet,\nhet bestuur van TN EZI",
    ),
]


def load(apps, schema_editor):
    Profile = apps.get_model("members", "ExpertiseProfile")
    for order, (key, name, description) in enumerate(PROFILES, start=1):
        Profile.objects.update_or_create(
            key=key,
            defaults={"name": name, "description": description, "order": order, "is_age_rule": key == "jong"},
        )
    Template = apps.get_model("members", "MailTemplate")
    for key, subject, body in DECISION_MAILS:
        Template.objects.get_or_create(key=key, defaults={"subject": subject, "body": body})
    apps.get_model("members", "Procedure").objects.get_or_create(pk=1)


def unload(apps, schema_editor):
    apps.get_model("members", "ExpertiseProfile").objects.all().delete()
    apps.get_model("members", "MailTemplate").objects.all().delete()
    apps.get_model("members", "Procedure").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
