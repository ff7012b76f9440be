"""Production: every secret and host comes from the environment; nothing defaults."""

from config.env import env_bool, env_database, env_int, env_list, env_str, env_url

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
DATABASES = {"default": {**env_database("DATABASE_URL"), **DATABASE_OPTIONS}}  # noqa: F405

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (the Compose setup). Turn it off
# when clients reach gunicorn directly: they could then claim HTTPS with that header.
if env_bool("SECURE_PROXY_SSL_HEADER", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# JavaScript never reads the CSRF cookie: htmx gets the token from <body hx-headers> and
# static/js/offline.js from the same attribute (or the form's own csrfmiddlewaretoken field).
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: base.py's, sent in every environment (frame-ancestors 'none' too).
AXES_ENABLED = True  # failed-login lockout (base.py's AXES_* settings), never off in production

EMAIL_URL = env_url("EMAIL_URL", {"smtp", "smtps", "consolemail"}, "consolemail://")
if EMAIL_URL.startswith("smtp"):
    import environ

    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    vars().update(environ.Env.email_url_config(EMAIL_URL))
DEMO_DATA_ALLOWED = False
