"""Sign-in, sign-out and changing one's own password (Django auth over the station's accounts)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.shortcuts import redirect
from django.urls import reverse_lazy

from pipeline.catalog.people import account_require_accounted, user_password_change
from pipeline.core.errors import Refused


class SignInForm(AuthenticationForm):
    """User name and password; an account the audit log does not account for cannot sign in."""

    error_messages = {
        "invalid_login": "用户名或密码不正确。连续输错多次后，此用户在本机将被暂时锁定。",
        "inactive": "此账号已停用，请联系站长。",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        try:
            account_require_accounted(user)
        except Refused as refusal:
            raise forms.ValidationError(refusal.message_zh, code="account_unaccounted") from None


class SignInView(auth_views.LoginView):
    """The sign-in page (the only page, with the static files, that needs no session)."""

    form_class = SignInForm
    template_name = "web/sign_in.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, CSRF-checked)."""


class OwnPasswordForm(PasswordChangeForm):
    """Old password, new password twice (labels as staff read them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in (
            ("old_password", "原密码"),
            ("new_password1", "新密码"),
            ("new_password2", "再次输入新密码"),
        ):
            self.fields[name].label = label


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (old password required; the session stays signed in)."""

    form_class = OwnPasswordForm
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:password_changed")

    def form_valid(self, form):
        """The service changes and audits the password; the session stays signed in."""
        user_password_change(
            user=self.request.user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password1"],
        )
        update_session_auth_hash(self.request, self.request.user)
        return redirect(self.get_success_url())


class PasswordChangedView(auth_views.PasswordChangeDoneView):
    """Confirmation after a password change."""

    template_name = "web/password_changed.html"
