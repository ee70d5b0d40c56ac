from django.apps import AppConfig


class AssistConfig(AppConfig):
    name = "assist"
    verbose_name = "AI help"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from observer.secret_box import register_sealed_field

        register_sealed_field("assist.Provider", "sealed_key")

        from assist.export import zip_entries
        from sessions.export import SESSION_EXTRAS

        if zip_entries not in SESSION_EXTRAS:
            SESSION_EXTRAS.append(zip_entries)
        from assist.sweeper import questions_sweep
        from coding import sweeper

        sweeper.register("AI answers", questions_sweep)
