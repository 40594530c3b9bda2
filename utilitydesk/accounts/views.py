from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ThrottledAuthenticationForm


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every signed-in user, staff or not, changes their own password here."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        services.change_password(form)
        update_session_auth_hash(self.request, form.user)
        messages.success(
            self.request,
            _("Your password has been changed. Your API tokens have been revoked."),
        )
        return HttpResponseRedirect(self.get_success_url())


@login_required
def tokens(request):
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": selectors.live_tokens(request.user),
            "token_ttl_hours": settings.API_TOKEN_TTL_HOURS,
        },
    )


@login_required
@require_POST
def revoke_token(request, pk: int):
    if services.revoke_token(request.user, pk):
        messages.success(request, _("The token has been revoked."))
    return redirect("accounts:tokens")


@login_required
@require_POST
def revoke_all_tokens(request):
    count = services.revoke_all_tokens(request.user)
    messages.success(
        request,
        ngettext("%(count)d token has been revoked.", "%(count)d tokens have been revoked.", count)
        % {"count": count},
    )
    return redirect("accounts:tokens")
