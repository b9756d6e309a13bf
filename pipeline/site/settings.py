"""Django settings: read from config/ and the environment, never from code edits.

SQLite in the data root by default; PostgreSQL when DATABASE_URL names one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url

from pipeline.core.paths import REPO_ROOT, data_paths

DATA = data_paths()

SECRET_KEY = os.environ.get("STATION_SECRET_KEY", "station-dev-key-change-me-in-production-0123456789")
DEBUG = os.environ.get("STATION_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("STATION_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "pipeline.catalog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pipeline.site.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [REPO_ROOT / "templates" / "web"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

_default_db = f"sqlite:///{DATA.database}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_db,
                                              conn_max_age=0)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # IMMEDIATE: a writer takes the lock at BEGIN, so two workers allocating 件号 serialise
    # instead of failing with "database is locked" on upgrade; WAL lets readers go on.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE", "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
    # Tests: a file, not Django's shared in-memory database, so that a web page's background job (a thread)
    # and the pages polling it lock as in production instead of failing with "database table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"station-test-{os.getpid()}.sqlite3")}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
                             "OPTIONS": {"min_length": 8}}]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # every line masked: ID and mobile numbers never reach the log in clear (pipeline.core.privacy)
    "formatters": {"plain": {"()": "pipeline.core.privacy.MaskingFormatter",
                             "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"file": {"class": "logging.FileHandler", "filename": str(DATA.var / "station.log"),
                          "formatter": "plain", "delay": True, "encoding": "utf-8"}},
    "loggers": {"pipeline": {"handlers": ["file"], "level": "INFO"}},
}
DATA.var.mkdir(parents=True, exist_ok=True)

# ---------------------------------------------------------------- web interface (issue 14, pipeline/web)
# Sign-in on every page (LoginRequiredMiddleware), lock-out by user name + address (django-axes),
# a Content-Security-Policy without inline script (django-csp), static files from WhiteNoise
# (vendored Bootstrap 5.3 and htmx 2.x, no CDN), frames same-origin only (the archival PDF).
from csp.constants import NONE, SELF  # noqa: E402

INSTALLED_APPS += ["django_htmx", "axes", "pipeline.web"]
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django.contrib.auth.middleware.LoginRequiredMiddleware")
MIDDLEWARE += ["django_htmx.middleware.HtmxMiddleware", "csp.middleware.CSPMiddleware",
               "pipeline.web.middleware.StationErrorMiddleware", "axes.middleware.AxesMiddleware"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("pipeline.web.context.navigation")
AUTHENTICATION_BACKENDS = ["pipeline.web.backends.StationAxesBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
STATIC_ROOT = DATA.var / "static"   # `manage.py collectstatic` target; WhiteNoise serves from the app folders too
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True          # serve straight from the app's static/ (no collectstatic step)
WHITENOISE_MAX_AGE = 3600
SESSION_COOKIE_AGE = int(os.environ.get("STATION_SESSION_MINUTES", "120")) * 60   # idle time before sign-in again
SESSION_SAVE_EVERY_REQUEST = True      # the clock restarts on every request: an idle session expires
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "pipeline.web.views.errors.csrf_failure"
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_NUMBER_FILES = 5000     # a round's photo folder in one upload (Django's default of 100 refused it)
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [SELF], "script-src": [SELF], "style-src": [SELF], "img-src": [SELF, "data:"],
    "font-src": [SELF], "connect-src": [SELF], "frame-src": [SELF], "frame-ancestors": [SELF],
    "object-src": [NONE], "base-uri": [SELF], "form-action": [SELF]}}
AXES_FAILURE_LIMIT = int(os.environ.get("STATION_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = int(os.environ.get("STATION_LOCKOUT_MINUTES", "15")) / 60   # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]   # office PCs share one address: lock the pair
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
AXES_VERBOSE = False

LOGGING["loggers"]["axes"] = {"handlers": ["file"], "level": "WARNING", "propagate": False}
if "STATION_SECRET_KEY" not in os.environ:   # one random key per data root (var/secret_key, mode 600)
    from pipeline.web.secret import secret_key_for  # noqa: E402
    SECRET_KEY = secret_key_for(DATA.var)
# ---------------------------------------------------------------- end of web interface settings
