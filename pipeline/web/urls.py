"""URL patterns of the web interface (namespace "web"). A new page: its path here + one NavItem in nav.py."""

from __future__ import annotations

from django.urls import path

from pipeline.web.views import auth, home, inbox, items, search

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
    path("inbox/", inbox.inbox_page, name="inbox"),
    path("inbox/status/", inbox.inbox_status, name="inbox_status"),
    path("inbox/upload/", inbox.inbox_upload_view, name="inbox_upload"),
    path("inbox/review/<int:item_id>/", inbox.review_action, name="review_action"),
    path("inbox/review/<int:item_id>/pages/<int:page>.png", inbox.review_page_image, name="review_page"),
    path("inbox/quarantine/retry/", inbox.quarantine_retry_view, name="quarantine_retry"),
]
