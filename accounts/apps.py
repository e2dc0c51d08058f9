from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import mfa, roles, sites

        roles.connect()
        mfa.connect()
        sites.connect()
