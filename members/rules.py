"""Applicant data is for Werving and Bestuur only; talent notes for Bestuur only."""

import rules

from denktank.rules import is_board, is_recruiter

rules.add_perm("members.view_applications", is_recruiter)
rules.add_perm("members.screen_applications", is_recruiter)
rules.add_perm("members.select_applicants", is_recruiter)
rules.add_perm("members.manage_procedure", is_board)
rules.add_perm("members.edit_mail_texts", is_board)
rules.add_perm("members.edit_profiles", is_board)
rules.add_perm("members.export_application", is_board)
rules.add_perm("members.erase_application", is_board)
rules.add_perm("members.view_talent_notes", is_board)
