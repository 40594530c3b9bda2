"""Type names shared by every app's services and selectors.

`Actor` is the signed-in person a service acts for or a selector reads for: the project's
user model (Django's `auth.User`; settings.AUTH_USER_MODEL is not swapped). `AnyUser` is
`request.user` before the login check, the real user or the anonymous one; functions that
take it answer for anonymous visitors too (nothing seen, nothing allowed).

Both are `type` aliases, evaluated lazily: modules loaded before the app registry (the
logging filter of privacy, for example) may import them without importing auth models.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

type Actor = User
type AnyUser = User | AnonymousUser

__all__ = ["Actor", "AnyUser"]
