from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models.signals import m2m_changed, post_delete, post_save

from utilitydesk.kernel import versions

from . import services
from .forms import client_ip

# The data version raised by any change of who may do what.
PERMISSIONS = versions.register("permissions")

# (user id, superuser) -> (permissions version, the user's permissions): each process's own.
_permissions: dict[tuple[int, bool], tuple[int, set[str]]] = {}


class ThrottledModelBackend(ModelBackend):
    """Every password check goes through here, whoever asks (sign-in page, admin, API
    token, test client): the lockout cannot be bypassed by using another way in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        # The account the households' actions are recorded as: nobody signs in as it.
        if username == getattr(settings, "SELFSERVICE_ACTOR", None):
            return None
        ip_address = client_ip(request)
        try:
            services.begin_sign_in(username, ip_address)
        except services.SignInLocked as locked:
            # Stops authenticate() at once; the caller asks lockout_for() for the message.
            raise PermissionDenied from locked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        services.finish_sign_in(username, ip_address, succeeded=user is not None)
        return user

    def get_all_permissions(self, user_obj, obj=None):
        """The user's permissions (own and their groups'), kept per process while the
        permissions version stays: a request reads one version row instead of two joins."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            version = versions.current(PERMISSIONS)
            key = (user_obj.pk, bool(user_obj.is_superuser))
            cached = _permissions.get(key)
            if cached is None or cached[0] != version:
                cached = (version, set(super().get_all_permissions(user_obj, obj)))
                _permissions[key] = cached
            user_obj._perm_cache = set(cached[1])
        return user_obj._perm_cache


def _permissions_changed(**_kwargs) -> None:
    versions.bump(PERMISSIONS)


def watch_permissions() -> None:
    """Raise the permissions version on every change of groups, memberships and grants
    (connected in the app's ready(), so every process that changes them tells the others;
    migrate, which adds permissions in bulk, raises every version: kernel/versions.py)."""
    user = get_user_model()
    for through in (user.groups.through, user.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_permissions_changed, sender=through, dispatch_uid=f"perms-{through}")
    for model in (Group, Permission):
        post_save.connect(_permissions_changed, sender=model, dispatch_uid=f"perms-save-{model}")
        post_delete.connect(_permissions_changed, sender=model, dispatch_uid=f"perms-del-{model}")
