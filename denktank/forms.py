import re

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from . import selectors
from .exceptions import AccountAlreadyActive
from .models import OutgoingMail, Role
from .services import Invitee

MAX_INVITEES = 50
# One outage made 200 mails unknown; a selection far above that is a mistake.
MAX_BULK_RESEND = 1000
LINE_SEPARATORS = re.compile(r"\s*[,;\t]\s*")


class InviteForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.DEELNEMER)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    people = forms.CharField(
        label=_("Or paste a list"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "Anna de Vries, anna@example.nl"}),
        help_text=_("One person per line: name, then e-mail address, separated by a comma, semicolon or tab."),
    )

    def clean_people(self) -> list[Invitee]:
        invitees, errors = [], []
        for number, line in enumerate(self.cleaned_data["people"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = LINE_SEPARATORS.split(line.strip())
            if len(parts) != 2 or not parts[0]:
                errors.append(_("Line %(number)d: write a name and an e-mail address.") % {"number": number})
                continue
            name, email = parts
            try:
                validate_email(email)
            except ValidationError:
                errors.append(
                    _("Line %(number)d: “%(email)s” is not a valid e-mail address.")
                    % {"number": number, "email": email}
                )
                continue
            invitees.append(Invitee(name=name[:150], email=email.lower()))
        if errors:
            raise ValidationError(errors)
        if len(invitees) > MAX_INVITEES:
            raise ValidationError(_("Invite at most %(max)d people at once.") % {"max": MAX_INVITEES})
        return invitees

    def clean(self):
        cleaned = super().clean()
        name, email = cleaned.get("name"), cleaned.get("email")
        invitees = list(cleaned.get("people") or [])
        if name or email:
            if not (name and email):
                raise ValidationError(_("Fill in both the name and the e-mail address."))
            invitees.insert(0, Invitee(name=name, email=email.lower()))
        if not invitees and not self.errors:
            raise ValidationError(_("Fill in a name and e-mail address, or paste a list."))
        emails = [invitee.email for invitee in invitees]
        duplicates = sorted({email for email in emails if emails.count(email) > 1})
        if duplicates:
            raise ValidationError(
                _("These addresses appear more than once: %(emails)s") % {"emails": ", ".join(duplicates)}
            )
        # Someone who already logs in must not get a link that sets a new
        # password: say so per address, next to the field it came from.
        existing = selectors.active_accounts(emails=emails)
        for invitee in invitees:
            user = existing.get(invitee.email)
            if user is not None:
                field = "email" if invitee.email == (email or "").lower() else "people"
                self.add_error(field, AccountAlreadyActive(user=user).message)
        cleaned["invitees"] = invitees
        return cleaned


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", _("The two passwords are not the same."))
            else:
                try:
                    password_validation.validate_password(password1, self.user)
                except ValidationError as error:
                    self.add_error("password1", error)
        return cleaned


class BulkResendForm(forms.Form):
    """The mails the board selected for a new copy, as ``mail`` values (primary keys)."""

    mail = forms.ModelMultipleChoiceField(
        queryset=OutgoingMail.objects.only(
            "to", "subject", "status", "sensitive", "last_error", "created_at", "sending_started_at"
        ),
        widget=forms.MultipleHiddenInput,
        error_messages={
            "required": _("Select at least one mail."),
            "invalid_choice": _("Mail %(value)s is not in the outbox."),
            "invalid_pk_value": _("“%(pk)s” is not the number of a mail."),
        },
    )

    def clean_mail(self):
        mails = self.cleaned_data["mail"]
        if len(mails) > MAX_BULK_RESEND:
            raise ValidationError(
                _("Select at most %(max)d mails at once.") % {"max": MAX_BULK_RESEND}, code="too_many"
            )
        return mails
