"""URL patterns of the web interface (namespace "web"). A new page: its path here + one NavItem in nav.py."""

from __future__ import annotations

from django.urls import path

from pipeline.web.views import auth, destruction, home, inbox, items, jobs, loans, reports, rounds, search, users

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
    # part 2 (issue 15)
    path("jobs/<str:job_id>/", jobs.job_status, name="job"),
    path("stats/", reports.stats_page, name="stats"),
    path("stats/stats.xlsx", reports.stats_xlsx_view, name="stats_xlsx"),
    path("audit/", reports.audit_page, name="audit"),
    path("verify/", reports.verify_page, name="verify"),
    path("verify/run/", reports.verify_start, name="verify_start"),
    path("users/", users.users_page, name="users"),
    path("users/add/", users.user_create, name="user_create"),
    path("users/<str:username>/<str:change>/", users.user_change, name="user_change"),
    path("rounds/", rounds.rounds_page, name="rounds"),
    path("rounds/create/", rounds.round_create, name="round_create"),
    path("rounds/<str:code>/", rounds.round_page, name="round"),
    path("rounds/<str:code>/upload/<str:kind>/", rounds.round_upload, name="round_upload"),
    path("rounds/<str:code>/update/", rounds.round_update_preview, name="round_update_preview"),
    path("rounds/<str:code>/update/apply/", rounds.round_update_apply, name="round_update_apply"),
    path("rounds/<str:code>/candidate/edit/", rounds.round_candidate_edit, name="round_candidate_edit"),
    path("rounds/<str:code>/candidate/remove/", rounds.round_candidate_remove, name="round_candidate_remove"),
    path("rounds/<str:code>/photos/", rounds.round_photos, name="round_photos"),
    path("rounds/<str:code>/assign/", rounds.round_assign, name="round_assign"),
    path("rounds/<str:code>/forms/", rounds.round_forms, name="round_forms"),
    path("rounds/<str:code>/files/<path:name>", rounds.round_file, name="round_file"),
    path("loans/", loans.loans_page, name="loans"),
    path("loans/request/", loans.loan_request_view, name="loan_request"),
    path("loans/<int:loan_id>/<str:step>/", loans.loan_step, name="loan_step"),
    path("loans/register/", loans.loan_register, name="loan_register"),
    path("loans/register/<int:year>/<str:name>", loans.loan_register_file, name="loan_register_file"),
    path("destruction/", destruction.destruction_home, name="destruction"),
    path("destruction/due/", destruction.due_page, name="destruction_due"),
    path("destruction/propose/", destruction.propose, name="destruction_propose"),
    path("destruction/<str:code>/", destruction.register_page, name="destruction_register"),
    path("destruction/<str:code>/approve/", destruction.approve, name="destruction_approve"),
    path("destruction/<str:code>/witness/", destruction.witness, name="destruction_witness"),
    path("destruction/<str:code>/strike/", destruction.strike, name="destruction_strike"),
    path("destruction/<str:code>/execute/", destruction.execute, name="destruction_execute"),
    path("destruction/<str:code>/render/", destruction.render_register, name="destruction_render"),
    path("destruction/<str:code>/files/<str:kind>/<str:name>", destruction.register_file, name="destruction_file"),
]
