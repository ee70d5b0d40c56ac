"""What the runs API sends."""

from __future__ import annotations

from rest_framework import serializers

from coding.models import Execution


class LastRunSerializer(serializers.ModelSerializer):
    """A finished run as the terminal's `exit` frame tells it, plus the tail of its output."""

    run_id = serializers.UUIDField(source="pk")

    class Meta:
        model = Execution
        fields = [
            "run_id", "entry", "status", "exit_code", "signal", "wall_ms", "cpu_ms", "peak_memory_kb",
            "output_bytes", "message", "output_tail", "finished_at",
        ]  # fmt: skip


class LastRunOutputSerializer(serializers.Serializer):
    last_run = LastRunSerializer(allow_null=True)
