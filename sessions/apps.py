from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    """Classroom sessions. Labelled "classroom" so it never clashes with django.contrib.sessions."""

    name = "sessions"
    label = "classroom"
    verbose_name = "Classroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from observer import server
        from sessions.live import shutdown
        from sessions.terminal import events

        events.connect()
        # When the server stops (after its sockets closed): write what the live layer holds.
        server.on_shutdown("live", shutdown.close_all)
