from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    """Classroom sessions. Labelled "classroom" so it never clashes with django.contrib.sessions."""

    name = "sessions"
    label = "classroom"
    verbose_name = "Classroom"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sessions.terminal import events

        events.connect()
