import re
import uuid
from datetime import datetime

from django import forms
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, validate_email
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import selectors
from .exceptions import AccountAlreadyActive, ImportExpired
from .models import KAMERLID_UPDATE_MAX_LENGTH, OutgoingMail, Role
from .people_import import MAX_FILE_BYTES, MAX_ROWS, ImportFileError, ParsedImport, parse_people_csv
from .selectors import ACTIVE, INACTIVE
from .services import Invitee, PersonToInvite

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


# --- People ------------------------------------------------------------------------


class PeopleFilterForm(forms.Form):
    """The filters above the people list (GET); an unknown value is ignored, as if not chosen."""

    q = forms.CharField(
        label=_("Name or e-mail address"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=[("", _("All roles")), *Role.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Active and deactivated")), (ACTIVE, _("Active")), (INACTIVE, _("Deactivated"))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {"search": "", "role": "", "status": ""}
        data = self.cleaned_data
        return {"search": data["q"], "role": data["role"], "status": data["status"]}


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role. To stop someone logging in, deactivate them.")},
    )


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")],
        coerce=lambda value: value == "1",
        error_messages={
            "required": _("Choose whether to deactivate or reactivate."),
            "invalid_choice": _("Choose whether to deactivate or reactivate."),
        },
    )


class InvitationActionForm(forms.Form):
    RESEND = "resend"
    WITHDRAW = "withdraw"
    action = forms.ChoiceField(choices=[(RESEND, RESEND), (WITHDRAW, WITHDRAW)])


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), validators=[FileExtensionValidator(["csv", "txt"])])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted here, in the language of the request (a lazy string formatted at import would not be).
        self.fields["file"].help_text = _(
            "Columns: e-mail, name, role (Bestuur, Werving, Deelnemer or Kamerlid), optionally profiles; "
            "the first line names them, in Dutch or English. Comma or semicolon between the columns, UTF-8. "
            "At most %(rows)d people and %(kb)d KB."
        ) % {"rows": MAX_ROWS, "kb": MAX_FILE_BYTES // 1024}

    def clean_file(self) -> ParsedImport:
        upload = self.cleaned_data["file"]
        # Checked before reading: a large upload is refused without being read into memory.
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is larger than %(kb)d KB.") % {"kb": MAX_FILE_BYTES // 1024})
        try:
            return parse_people_csv(upload.read())
        except ImportFileError as error:
            raise ValidationError(str(error)) from None


# The preview's rows travel signed in the confirmation form: nothing is
# stored before the board confirms, and nothing in them can be changed.
IMPORT_SALT = "denktank.people-import"
IMPORT_MAX_AGE = 60 * 60


def sign_import(people: list[PersonToInvite]) -> str:
    return signing.dumps([[p.email, p.name, p.role] for p in people], salt=IMPORT_SALT, compress=True)


class ImportConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)

    def clean_payload(self) -> list[PersonToInvite]:
        try:
            rows = signing.loads(self.cleaned_data["payload"], salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
        except signing.BadSignature:
            raise ValidationError(str(ImportExpired.message)) from None
        return [PersonToInvite(email=email, name=name, role=role) for email, name, role in rows]


# --- Kamerlid updates ------------------------------------------------------------


class KamerlidUpdateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    text = forms.CharField(
        label=_("Your update"), max_length=KAMERLID_UPDATE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 10})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = _(
            "Markdown: **bold**, *italic*, lists with - and links. At most %(max)d characters. "
            "The platform adds the facts for you."
        ) % {"max": KAMERLID_UPDATE_MAX_LENGTH}


UPDATE_SALT = "denktank.kamerlid-update"
# A preview older than this is made again: its facts would be stale.
UPDATE_MAX_AGE = 2 * 60 * 60


def sign_update(*, title: str, text: str, facts: dict, since: datetime, until: datetime, token: uuid.UUID) -> str:
    return signing.dumps(
        {
            "title": title,
            "text": text,
            "facts": facts,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "token": str(token),
        },
        salt=UPDATE_SALT,
        compress=True,
    )


class KamerlidUpdatePreviewForm(forms.Form):
    """The previewed update, signed: sending sends exactly what the preview showed."""

    payload = forms.CharField(widget=forms.HiddenInput)

    def clean_payload(self) -> dict:
        try:
            data = signing.loads(self.cleaned_data["payload"], salt=UPDATE_SALT, max_age=UPDATE_MAX_AGE)
        except signing.SignatureExpired:
            raise ValidationError(
                _("This preview is more than two hours old: check the new one."), code="expired"
            ) from None
        except signing.BadSignature:
            raise ValidationError(_("This preview was changed or is broken: write the update again.")) from None
        return {
            **data,
            "since": datetime.fromisoformat(data["since"]),
            "until": datetime.fromisoformat(data["until"]),
            "token": uuid.UUID(data["token"]),
        }


# --- Ids from forms and query strings --------------------------------------------

# Primary keys are PostgreSQL bigints: a larger number makes the query itself fail.
BIGINT_MAX = 2**63 - 1


def is_valid_id(value) -> bool:
    """Whether a submitted value can be a primary key at all (a positive bigint)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return False
    return 0 < number <= BIGINT_MAX


class HoneypotForm(forms.Form):
    """A field people never see and bots fill in, for the public forms.

    Its template renders it inside a visually hidden block; a form that
    comes back with it filled in is refused.
    """

    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise ValidationError(_("Leave this field empty."))
        return ""


class QuickSelect(forms.Select):
    """A select whose options are written in Python, not through a template each.

    For selects with hundreds of options rendered on every view (the
    applicants' filter bar, the section of a recommendation): this gives the
    markup Django's own template gives (the attributes the bound field
    passes, ``selected`` on the chosen option), without option groups, which
    these selects do not use.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = set(self.format_value(value))
        options = []
        for option, label in self.choices:
            option = str(option)
            selected = " selected" if option in chosen else ""
            options.append(f'<option value="{escape(option)}"{selected}>{escape(str(label))}</option>')
        # Every value and label is escaped above, and flatatt escapes the attributes.
        return mark_safe(f"<select{flatatt(final_attrs)}>{''.join(options)}</select>")


class IdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that answers a non-number or an out-of-range id with a form error, not a database error."""

    def to_python(self, value):
        if value not in self.empty_values and not is_valid_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The same for several ids: Django checks them with one ``pk__in`` query, which overflows."""

    def _check_values(self, value):
        for pk in value:
            if not is_valid_id(pk):
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super()._check_values(value)
