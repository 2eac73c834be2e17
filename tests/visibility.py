"""For the direct selector tests (tests/<app>/test_selectors.py): disabling a user as an administrator would."""

from __future__ import annotations

from partnerdesk.accounts.models import User


def disabled(user: User) -> User:
    """The user after an administrator disabled it (R1.5): the row as the selectors then see it."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()
    return user
