from __future__ import annotations

from typing import Any

from rest_framework import serializers

from coding.models import Execution, ExecutionStatus
from monitoring.models import AuditEvent, ErrorEvent
from monitoring.selectors import PERIODS


class ExecutionFilterSerializer(serializers.Serializer):
    language = serializers.CharField(required=False, max_length=20)
    status = serializers.ChoiceField(choices=ExecutionStatus.choices, required=False)
    session = serializers.UUIDField(required=False)
    user = serializers.UUIDField(required=False)
    participant = serializers.UUIDField(required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["must be after since"]})
        return attrs


class PeriodSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=list(PERIODS), default="hour")


class ErrorFilterSerializer(serializers.Serializer):
    source = serializers.CharField(required=False, max_length=32)  # type: ignore[assignment]


class AuditFilterSerializer(serializers.Serializer):
    action = serializers.CharField(required=False, max_length=64)
    actor = serializers.CharField(required=False, max_length=200)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class ExecutionSerializer(serializers.ModelSerializer):
    session = serializers.SerializerMethodField()
    participant = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()

    class Meta:
        model = Execution
        fields = [
            "id", "language", "entry", "backend", "interactive", "status", "exit_code", "signal", "message",
            "wall_ms", "cpu_ms", "peak_memory_kb", "output_bytes", "queue_wait_ms",
            "created_at", "started_at", "finished_at", "session", "participant", "user",
        ]  # fmt: skip

    def get_session(self, run: Execution) -> dict[str, Any] | None:
        return {"id": str(run.session.id), "title": run.session.title} if run.session else None

    def get_participant(self, run: Execution) -> dict[str, Any] | None:
        p = run.participant
        return {"id": str(p.id), "display_name": p.display_name, "is_guest": p.is_guest} if p else None

    def get_user(self, run: Execution) -> dict[str, Any] | None:
        return {"id": str(run.user.id), "username": run.user.username} if run.user else None


class ErrorEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ErrorEvent
        fields = ["id", "source", "kind", "message", "path", "details", "created_at"]


class AuditEventSerializer(serializers.ModelSerializer):
    actor_id = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id", "action", "actor_id", "actor_label", "target_type", "target_id", "target_label",
            "ip", "details", "created_at",
        ]  # fmt: skip

    def get_actor_id(self, event: AuditEvent) -> str | None:
        return str(event.actor_id) if event.actor_id else None


class LimitsSerializer(serializers.Serializer):
    """The one shape of run-limit usage (coding.limits.run_usage)."""

    class ConcurrentSerializer(serializers.Serializer):
        running = serializers.IntegerField()
        max = serializers.IntegerField()

    window_seconds = serializers.IntegerField()
    runs_per_window = serializers.IntegerField()
    used = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField(allow_null=True)
    concurrent = ConcurrentSerializer()


# --- response shapes (documentation of what the selectors return) ----------------------


class _ParticipantsSerializer(serializers.Serializer):
    joined = serializers.IntegerField()
    online = serializers.IntegerField()


class _ConnectionsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())


class SystemHeadlineSerializer(serializers.Serializer):
    cpu_percent = serializers.FloatField()
    memory_percent = serializers.FloatField()
    disk_percent = serializers.FloatField()
    load_1m = serializers.FloatField()
    status = serializers.ChoiceField(choices=["healthy", "degraded", "unhealthy"])


class FiguresSerializer(serializers.Serializer):
    """Current figures; also what /ws/monitoring/ pushes as {"type": "figures", ...}."""

    at = serializers.DateTimeField()
    window_seconds = serializers.IntegerField()
    active_runs = serializers.IntegerField()
    queued_runs = serializers.IntegerField()
    live_sessions = serializers.IntegerField()
    participants = _ParticipantsSerializer()
    connections = _ConnectionsSerializer()
    runs = serializers.IntegerField()
    runs_finished = serializers.IntegerField()
    runs_ok = serializers.IntegerField()
    runs_failed = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    avg_wall_ms = serializers.IntegerField(allow_null=True)
    p95_wall_ms = serializers.IntegerField(allow_null=True)
    peak_concurrency = serializers.IntegerField()
    errors = serializers.IntegerField()  # type: ignore[assignment]  # a field, not Serializer.errors
    system = SystemHeadlineSerializer()


class _TotalsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    finished = serializers.IntegerField()
    ok = serializers.IntegerField()
    failed = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    avg_wall_ms = serializers.IntegerField(allow_null=True)
    p95_wall_ms = serializers.IntegerField(allow_null=True)


class _CountRowSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    ok = serializers.IntegerField()
    failed = serializers.IntegerField()


class _LanguageRowSerializer(_CountRowSerializer):
    language = serializers.CharField()
    avg_wall_ms = serializers.IntegerField(allow_null=True)


class _SessionRowSerializer(_CountRowSerializer):
    session_id = serializers.UUIDField()
    title = serializers.CharField()


class _StatusRowSerializer(serializers.Serializer):
    status = serializers.CharField()
    count = serializers.IntegerField()


class _BucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    counts = serializers.DictField(child=serializers.IntegerField())


class _DurationSerializer(serializers.Serializer):
    le_ms = serializers.IntegerField(allow_null=True, help_text="Upper bound (ms); null: the open-ended last bucket.")
    count = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=list(PERIODS))
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    bucket = serializers.ChoiceField(choices=["minute", "hour"])
    totals = _TotalsSerializer()
    by_status = _StatusRowSerializer(many=True)
    by_language = _LanguageRowSerializer(many=True)
    by_session = _SessionRowSerializer(many=True)
    timeline = _BucketSerializer(many=True)
    durations = _DurationSerializer(many=True)


class HealthCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=["healthy", "degraded", "unhealthy"])
    latency_ms = serializers.FloatField(allow_null=True)
    message = serializers.CharField()
    details = serializers.DictField()


class HealthReportSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["healthy", "degraded", "unhealthy"])
    checked_at = serializers.DateTimeField()
    checks = HealthCheckSerializer(many=True)


class ResourcesSerializer(serializers.Serializer):
    """psutil readings of the answering machine and server process (see monitoring.resources)."""

    cpu = serializers.DictField()
    memory = serializers.DictField()
    swap = serializers.DictField()
    disks = serializers.ListField(child=serializers.DictField())
    process = serializers.DictField()
    boot_time = serializers.FloatField()
    thresholds = serializers.DictField()


class ApiKeyActivitySerializer(serializers.Serializer):
    """An API key's use (GET /api/monitoring/api-keys): never its secret."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to recognise it")
    owner = serializers.CharField(help_text="The owner's username")
    active = serializers.BooleanField(help_text="Neither revoked nor expired")
    last_used_at = serializers.DateTimeField(allow_null=True)
    use_count = serializers.IntegerField()
    runs_last_hour = serializers.IntegerField()
    runs_last_day = serializers.IntegerField()
    failed_last_day = serializers.IntegerField(help_text="Runs of the last day that did not end ok")
    last_run_at = serializers.DateTimeField(allow_null=True)
    webhooks_failed_last_day = serializers.IntegerField(help_text="Deliveries that gave up after a day of retries")
