from . import rules as roles_rules


def roles(request):
    """Expose the current user's roles to templates for navigation."""
    user = request.user
    return {
        "is_board": roles_rules.is_board(user),
        "is_recruiter": roles_rules.is_recruiter(user),
        "is_member": roles_rules.is_member(user),
        "is_mp": roles_rules.is_mp(user),
    }
