from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Observer as an execution service for other systems: API keys, the Judge0-compatible
    API, the execution API and the webhooks that report back."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from coding import sweeper
        from integrations import (
            schema,  # noqa: F401 - registers the OpenAPI auth schemes
            webhooks,
        )
        from integrations.sweeper import async_executions_sweep, submissions_sweep
        from observer import periodic

        sweeper.register("Judge0 submissions", submissions_sweep)
        sweeper.register("async executions", async_executions_sweep)
        # Every server process delivers what is due (each try leased to one of them).
        periodic.register("webhooks", webhooks.delivery_seconds, webhooks.deliver_due)
