"""Who reads and writes which part of the final report."""

import rules

from denktank.rules import is_board, is_member, is_mp


@rules.predicate
def is_owner(user, section) -> bool:
    return section is not None and section.owners.filter(pk=user.pk).exists()


@rules.predicate
def is_shared(user, section) -> bool:
    return section is not None and section.shared


can_view_section = is_board | is_member | (is_mp & is_shared)
can_edit_section = is_board | (is_member & is_owner)

rules.add_perm("documents.view_progress", is_board | is_member | is_mp)
rules.add_perm("documents.view_section", can_view_section)
rules.add_perm("documents.edit_section", can_edit_section)
rules.add_perm("documents.discuss_section", is_board | is_member)
rules.add_perm("documents.decide_amendment", can_edit_section)
rules.add_perm("documents.manage_structure", is_board)
rules.add_perm("documents.export_report", is_board)
rules.add_perm("documents.publish_report", is_board)
rules.add_perm("documents.view_published", is_board | is_member | is_mp)
rules.add_perm("documents.manage_recommendations", is_board | is_member)
rules.add_perm("documents.manage_sources", is_board | is_member)
