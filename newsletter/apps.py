from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "TIFT newsletter"

    def ready(self) -> None:
        from anymail.signals import tracking

        from newsletter import subscriptions

        # The email provider's bounce and complaint reports suppress the address.
        tracking.connect(subscriptions.on_provider_event, dispatch_uid="newsletter.feedback")
