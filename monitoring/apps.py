from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import os

        from monitoring import metrics, receivers, resources, services
        from observer import audit, errors

        path = metrics.multiprocess_dir()
        if path:  # prometheus-client writes its per-process files there from the first metric on
            os.makedirs(path, exist_ok=True)
        receivers.connect()
        errors.set_error_recorder(services.error_record)  # the base package's errors land in our list
        audit.set_audit_recorder(services.audit_record, forget=services.audit_labels_forget)  # and every app's audit
        resources.prime()
