"""A Judge0 submission as it is sent: every field of Judge0 CE 1.13, checked here. Errors
are Judge0's (a 422 with each field's messages); limits above the operator's maxima are
lowered to them, not refused (docs/judge0.md)."""

from __future__ import annotations

import base64
import binascii
import io
import shlex
import zipfile
from typing import Any

from rest_framework import serializers

from coding.runner import InvalidRun, check_args, default_limits
from integrations import webhooks
from integrations.judge0.languages import by_id

ENCODED_FIELDS = ("source_code", "stdin", "expected_output")
MAX_ADDITIONAL_FILES = 32


def _decode(value: str, *, base64_encoded: bool) -> str:
    if not base64_encoded:
        return value
    try:
        raw = base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        raise serializers.ValidationError("is not valid Base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise serializers.ValidationError("is not UTF-8 text once decoded") from None


class SubmissionInputSerializer(serializers.Serializer):
    source_code = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=8 * 1024 * 1024)
    language_id = serializers.IntegerField()
    stdin = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    expected_output = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                            trim_whitespace=False)
    cpu_time_limit = serializers.FloatField(required=False, allow_null=True, min_value=0)
    cpu_extra_time = serializers.FloatField(required=False, allow_null=True, min_value=0)
    wall_time_limit = serializers.FloatField(required=False, allow_null=True, min_value=0)
    memory_limit = serializers.FloatField(required=False, allow_null=True, min_value=0, help_text="KB")
    stack_limit = serializers.IntegerField(required=False, allow_null=True, min_value=0, help_text="KB (ignored)")
    max_processes_and_or_threads = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    enable_per_process_and_thread_time_limit = serializers.BooleanField(required=False, allow_null=True)
    enable_per_process_and_thread_memory_limit = serializers.BooleanField(required=False, allow_null=True)
    max_file_size = serializers.IntegerField(required=False, allow_null=True, min_value=0, help_text="KB")
    number_of_runs = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1)
    compiler_options = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=512)
    command_line_arguments = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                                   max_length=512)
    redirect_stderr_to_stdout = serializers.BooleanField(required=False, allow_null=True)
    callback_url = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=2000)
    additional_files = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                             help_text="A Base64 zip of files placed beside the source")
    enable_network = serializers.BooleanField(required=False, allow_null=True)

    def _base64(self) -> bool:
        return bool(self.context.get("base64_encoded"))

    def validate_source_code(self, value: str) -> str:
        return _decode(value, base64_encoded=self._base64())

    def validate_stdin(self, value: str | None) -> str | None:
        return None if value is None else _decode(value, base64_encoded=self._base64())

    def validate_expected_output(self, value: str | None) -> str | None:
        return None if value is None else _decode(value, base64_encoded=self._base64())

    def validate_language_id(self, value: int) -> int:
        if by_id(value) is None:
            raise serializers.ValidationError(f"language with id {value} doesn't exist")
        return value

    def validate_enable_network(self, value: bool | None) -> bool | None:
        if value:
            raise serializers.ValidationError("is not allowed: programs never have network access on this server")
        return value

    def validate_compiler_options(self, value: str | None) -> str | None:
        if value:
            raise serializers.ValidationError("are not supported on this server (the compilers' flags are fixed)")
        return value

    def validate_command_line_arguments(self, value: str | None) -> str | None:
        if value:
            command_line_arguments(value)
        return value

    def validate_callback_url(self, value: str | None) -> str | None:
        if value:
            try:
                webhooks.check_url(value)
            except webhooks.UnsafeUrl as exc:
                raise serializers.ValidationError(str(exc)) from None
        return value or None

    def validate_additional_files(self, value: str | None) -> str | None:
        if value:
            additional_files(value)  # raises ValidationError when it is not a zip we take
        return value or None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["is not a Judge0 submission field"] for name in unknown})
        language = by_id(attrs["language_id"])
        assert language is not None  # validate_language_id
        most = default_limits(language.language.name).source_bytes
        size = len(attrs["source_code"].encode("utf-8"))
        if size > most:
            raise serializers.ValidationError({"source_code": [f"is too long ({size} bytes; at most {most})"]})
        return attrs


def additional_files(value: str) -> list[tuple[str, str]]:
    """The files of a Base64 zip, as (name, text); directories and empty names skipped.
    Sizes are checked against the run's source limit when the run is prepared."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(value, validate=True)))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (binascii.Error, ValueError, zipfile.BadZipFile):
        raise serializers.ValidationError("is not a Base64-encoded zip file") from None
    if len(members) > MAX_ADDITIONAL_FILES:
        raise serializers.ValidationError(f"holds more than {MAX_ADDITIONAL_FILES} files")
    if sum(info.file_size for info in members) > 1024 * 1024:
        raise serializers.ValidationError("holds more than 1 MB once unpacked")
    files = []
    for info in members:
        try:
            files.append((info.filename, archive.read(info).decode("utf-8")))
        except UnicodeDecodeError:
            raise serializers.ValidationError(f"{info.filename!r} is not UTF-8 text") from None
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
            raise serializers.ValidationError(f"{info.filename!r} cannot be unpacked") from None
    return files


class BatchInputSerializer(serializers.Serializer):
    submissions = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=20)


class StatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()


class SubmissionOutputSerializer(serializers.Serializer):
    """The fields an answer may hold (`?fields=` picks them; `*` is all)."""

    token = serializers.UUIDField()
    stdout = serializers.CharField(allow_null=True)
    stderr = serializers.CharField(allow_null=True)
    compile_output = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_null=True)
    status = StatusSerializer()
    time = serializers.CharField(allow_null=True, help_text="CPU seconds")
    wall_time = serializers.CharField(allow_null=True)
    memory = serializers.IntegerField(allow_null=True, help_text="KB")
    exit_code = serializers.IntegerField(allow_null=True)
    exit_signal = serializers.IntegerField(allow_null=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.UUIDField()


def command_line_arguments(text: str | None) -> tuple[str, ...]:
    """Judge0's one string of arguments split as a POSIX shell splits words (quotes and
    backslashes; nothing expanded, no shell runs), each then one argv entry; a
    ValidationError when it cannot be split or is past the run service's bounds."""
    if not text:
        return ()
    try:
        return check_args(shlex.split(text))
    except ValueError as exc:  # "No closing quotation", "No escaped character"
        raise serializers.ValidationError(f"cannot be split into arguments: {exc}") from None
    except InvalidRun as exc:
        raise serializers.ValidationError(str(exc)) from None
