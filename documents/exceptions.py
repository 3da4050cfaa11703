from django.utils.translation import gettext_lazy as _

from denktank.exceptions import DomainError


class EditConflict(DomainError):
    """Someone else changed the same paragraphs; the writer resolves it."""

    message = _("Someone else changed the same part of this section while you were writing. Your text is kept below.")

    def __init__(self, *, head, conflicts):
        super().__init__()
        self.head = head
        self.conflicts = conflicts


class NotAllowedToEdit(DomainError):
    message = _("Only the owners of this section and the board can change it.")


class OnlyBoardFinalises(DomainError):
    message = _("Only the board can mark a section as final.")


class ReasonRequired(DomainError):
    message = _("Give a reason.")


class AmendmentClosed(DomainError):
    message = _("This proposal has already been decided.")


class ReportFrozen(DomainError):
    message = _("The report is published and frozen. The board can reopen it for a new version.")
