from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import os

        from monitoring import metrics, receivers, resources

        path = metrics.multiprocess_dir()
        if path:  # prometheus-client writes its per-process files there from the first metric on
            os.makedirs(path, exist_ok=True)
        receivers.connect()
        resources.prime()
