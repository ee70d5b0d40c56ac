from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "coding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from coding import sweeper
        from observer import periodic

        # Every server process sweeps what dead ones left, whether or not it has a terminal.
        periodic.register("sweep", lambda: sweeper.SWEEP_EVERY_SECONDS, sweeper.sweep_periodically)
