"""用户与角色 (station head only): accounts tied to staff records; every change audited by the service."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from pipeline.catalog.models import Role, Staff
from pipeline.catalog.people import require_station_head, user_add, user_grant, user_revoke, user_set_active, users_list
from pipeline.core.errors import NotFound
from pipeline.web.actions import act


@require_GET
def users_page(request):
    """Every account with its roles and person; staff without an account; forms to add and change."""
    require_station_head(request.user)
    return render(request, "web/users.html", {
        "users": [{**u, "roles_zh": [dict(Role.choices).get(r, r) for r in u["roles"]]} for u in users_list()],
        "roles": Role.choices,
        "staff_free": Staff.objects.filter(user__isnull=True).order_by("badge_number")[:500]})


@require_POST
def user_create(request):
    """Add an account tied to a staff record (by badge) or to a new person (name + ID number)."""
    post = request.POST
    return act(request, reverse("web:users"), lambda: user_add(
        actor=request.user, username=post.get("username", "").strip(), password=post.get("password", ""),
        roles=post.getlist("roles"), staff_badge=post.get("staff", ""), full_name=post.get("full_name", ""),
        id_number=post.get("id_number", "")) and f"已建立用户 {post.get('username', '').strip()}。")


@require_POST
def user_change(request, username: str, change: str):
    """Grant or revoke one role, disable or enable an account."""
    role = request.POST.get("role", "")
    calls = {"grant": lambda: user_grant(actor=request.user, username=username, roles=[role]),
             "revoke": lambda: user_revoke(actor=request.user, username=username, roles=[role]),
             "disable": lambda: user_set_active(actor=request.user, username=username, active=False),
             "enable": lambda: user_set_active(actor=request.user, username=username, active=True)}
    if change not in calls:
        raise NotFound("没有这个操作。", f"no user change {change}", code="user_change")
    words = {"grant": f"已授予 {username} 角色", "revoke": f"已撤销 {username} 的角色", "disable": f"已停用 {username}",
             "enable": f"已启用 {username}"}
    return act(request, reverse("web:users"), lambda: calls[change]() and f"{words[change]}（已记入审计日志）。")
