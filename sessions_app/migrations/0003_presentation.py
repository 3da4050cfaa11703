# The public side of the final presentation: guests, reactions and guest reminders.

import django.db.models.deletion
import django.utils.timezone
import sessions_app.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_reports"),
        ("sessions_app", "0002_calendar_data"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Presentation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("registration_open", models.BooleanField(default=False, verbose_name="registration open")),
                ("capacity", models.PositiveIntegerField(default=0, verbose_name="places for guests")),
                ("reactions_open", models.BooleanField(default=False, verbose_name="reactions open")),
                ("guests_purged_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "meeting",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="presentation",
                        to="sessions_app.meeting",
                    ),
                ),
            ],
            options={
                "verbose_name": "final presentation",
                "verbose_name_plural": "final presentations",
            },
        ),
        migrations.CreateModel(
            name="Guest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("email", models.EmailField(max_length=254, verbose_name="e-mail address")),
                ("is_party_member", models.BooleanField(verbose_name="VVD member")),
                ("organisation", models.CharField(blank=True, max_length=150, verbose_name="organisation")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("unconfirmed", "Not confirmed"),
                            ("confirmed", "Has a place"),
                            ("waiting", "Waiting list"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="unconfirmed",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                ("key", models.CharField(default=sessions_app.models.new_guest_key, max_length=32)),
                ("registered_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="registered")),
                ("confirmed_at", models.DateTimeField(blank=True, null=True, verbose_name="address confirmed")),
                ("waiting_since", models.DateTimeField(blank=True, null=True)),
                ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                ("attended", models.BooleanField(default=False, verbose_name="present")),
                (
                    "presentation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="guests",
                        to="sessions_app.presentation",
                    ),
                ),
            ],
            options={
                "verbose_name": "guest",
                "verbose_name_plural": "guests",
                "ordering": ["name", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Reaction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("respondent", models.CharField(choices=[("guest", "Guest"), ("member", "Member")], max_length=6)),
                (
                    "stance",
                    models.CharField(
                        choices=[
                            ("support", "Support"),
                            ("reservation", "Support with a reservation"),
                            ("oppose", "Oppose"),
                        ],
                        max_length=11,
                        verbose_name="your view",
                    ),
                ),
                ("comment", models.TextField(blank=True, max_length=1000, verbose_name="comment")),
                ("taken_on_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "guest",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reactions",
                        to="sessions_app.guest",
                    ),
                ),
                (
                    "recommendation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="presentation_reactions",
                        to="documents.recommendation",
                    ),
                ),
                (
                    "taken_on_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "reaction",
                "verbose_name_plural": "reactions",
                "ordering": ["created_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="GuestReminder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("for_starts_at", models.DateTimeField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "guest",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="reminders", to="sessions_app.guest"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("guest", "for_starts_at"), name="one_guest_reminder_per_start")
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="guest",
            constraint=models.UniqueConstraint(fields=("presentation", "email"), name="one_registration_per_address"),
        ),
        migrations.AddConstraint(
            model_name="guest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status__in", ["confirmed", "waiting"]), _negated=True),
                    ("confirmed_at__isnull", False),
                    _connector="OR",
                ),
                name="guest_place_needs_confirmed_address",
            ),
        ),
        migrations.AddConstraint(
            model_name="reaction",
            constraint=models.UniqueConstraint(
                condition=models.Q(("guest__isnull", False)),
                fields=("recommendation", "guest"),
                name="one_reaction_per_guest_and_recommendation",
            ),
        ),
        migrations.AddConstraint(
            model_name="reaction",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", False)),
                fields=("recommendation", "user"),
                name="one_reaction_per_member_and_recommendation",
            ),
        ),
        migrations.AddConstraint(
            model_name="reaction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("respondent", "guest"), ("user__isnull", True)),
                    models.Q(("respondent", "member"), ("guest__isnull", True)),
                    _connector="OR",
                ),
                name="reaction_has_one_kind_of_respondent",
            ),
        ),
    ]
