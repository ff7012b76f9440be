from django.apps import AppConfig


class AthletesConfig(AppConfig):
    name = "athletes"
    verbose_name = "Athletes, teams and organisations"

    def ready(self) -> None:
        from . import lockout  # noqa: F401 - connects the login-lockout signal receiver
