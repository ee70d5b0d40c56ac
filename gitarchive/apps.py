from django.apps import AppConfig


class GitArchiveConfig(AppConfig):
    """Sign in with GitHub, and class work archived to GitHub repositories."""

    name = "gitarchive"
    verbose_name = "GitHub"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from observer.secret_box import register_sealed_field

        register_sealed_field("gitarchive.GitHubCredential", "token_sealed")
