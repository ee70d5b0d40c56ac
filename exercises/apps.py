from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from exercises.classroom import connect_signals
        from exercises.grid import analytics, zip_entries
        from sessions.analytics import ANALYTICS_EXTRAS
        from sessions.export import SESSION_EXTRAS

        connect_signals()
        from coding import sweeper
        from exercises.sweeper import submissions_sweep

        sweeper.register("exercise submissions", submissions_sweep)
        if analytics not in ANALYTICS_EXTRAS:  # scores in the session's analytics
            ANALYTICS_EXTRAS.append(analytics)
        if zip_entries not in SESSION_EXTRAS:  # grades.csv, submissions and comments in the session's zip
            SESSION_EXTRAS.append(zip_entries)
