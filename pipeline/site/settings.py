"""Django settings: read from config/ and the environment, never from code edits.

SQLite in the data root by default; PostgreSQL when DATABASE_URL names one.
"""

from __future__ import annotations

import os

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
