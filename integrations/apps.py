from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Observer as an execution service for other systems: API keys, the Judge0-compatible
    API, the execution API and the webhooks that report back."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations import schema  # noqa: F401 - registers the OpenAPI auth schemes
