"""URL patterns of the web interface (namespace "web"). A new page: its path here + one NavItem in nav.py."""

from __future__ import annotations

from django.urls import path

from pipeline.web.views import auth, home, items, search

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", auth.SignOutView.as_view(), name="logout"),
    path("password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth.PasswordChangedView.as_view(), name="password_changed"),
    path("search/", search.search_page, name="search"),
    path("search/export.xlsx", search.search_export, name="search_export"),
    path("items/<str:code>/", items.item_page, name="item"),
    path("items/<str:code>/document.pdf", items.item_pdf, name="item_pdf"),
    path("items/<str:code>/pages/<int:page>.png", items.item_thumbnail, name="item_thumbnail"),
]
