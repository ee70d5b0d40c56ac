from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from exercises.classroom import connect_signals
        from exercises.grid import zip_entries
        from sessions.export import SESSION_EXTRAS

        connect_signals()
        if zip_entries not in SESSION_EXTRAS:  # grades.csv, submissions and comments in the session's zip
            SESSION_EXTRAS.append(zip_entries)
