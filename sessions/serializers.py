"""Input and output shapes of the sessions API (docs/API.md, "Sessions" and
"Participants and files"). Inputs parse and check form; services enforce the rules."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.names import DisplayNameField
from coding.languages import LANGUAGES
from observer.fields import StrictCharField, StrictRegexField, StrictUUIDField, StringsOnly
from sessions import filenames, selectors
from sessions.models import ClassSession, Document, HelpRequest, HelpState, Participant, SessionState

MAX_PARTICIPANTS = 1000


# --- fields -----------------------------------------------------------------------------


class FileNameField(StringsOnly, serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=filenames.MAX_NAME_LENGTH, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        name = super().to_internal_value(data)
        try:
            return filenames.validate_name(name)
        except filenames.InvalidFileName as error:
            raise serializers.ValidationError(str(error)) from error


class ContentField(StringsOnly, serializers.CharField):
    """File text, kept exactly as sent (no trimming); the size cap is the service's."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)


# --- inputs -----------------------------------------------------------------------------


class StarterFileSerializer(serializers.Serializer):
    name = FileNameField()
    content = ContentField(default="")


class SessionCreateInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200)
    language = serializers.ChoiceField(choices=sorted(LANGUAGES))
    instructions = StrictCharField(max_length=50_000, allow_blank=True, trim_whitespace=False, default="")
    starter_files = StarterFileSerializer(many=True, default=list)
    max_participants = serializers.IntegerField(min_value=1, max_value=MAX_PARTICIPANTS, default=100)
    teacher_can_edit = serializers.BooleanField(default=True)
    students_see_each_other = serializers.BooleanField(default=False)

    def validate_starter_files(self, files: list[dict[str, str]]) -> list[dict[str, str]]:
        names = [f["name"] for f in files]
        if len(set(names)) != len(names):
            raise serializers.ValidationError("Starter file names must be unique.")
        if len(files) > filenames.max_files():
            raise serializers.ValidationError(f"At most {filenames.max_files()} starter files.")
        return files


class SessionUpdateInputSerializer(SessionCreateInputSerializer):
    """Every field optional; only the ones sent change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class JoinInputSerializer(serializers.Serializer):
    code = StrictCharField(max_length=32)
    display_name = DisplayNameField(required=False, allow_blank=True, default="")
    guest_key = StrictRegexField(
        r"^[A-Za-z0-9_-]{16,128}$",
        required=False,
        allow_blank=True,
        default="",
        help_text="A random id the browser keeps (localStorage): the same key rejoins as the same guest.",
    )


class FileCreateInputSerializer(serializers.Serializer):
    name = FileNameField()
    content = ContentField(default="")


class FileUpdateInputSerializer(serializers.Serializer):
    name = FileNameField(required=False)
    content = ContentField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send a new name, new content, or both.")
        return attrs


class PushInputSerializer(serializers.Serializer):
    name = FileNameField()
    content = ContentField()
    participant_id = StrictUUIDField(
        required=False, allow_null=True, default=None, help_text="One student; omitted: every student."
    )


class HelpRaiseInputSerializer(serializers.Serializer):
    message = StrictCharField(max_length=2000, allow_blank=True, default="")
    file_id = StrictUUIDField(required=False, allow_null=True, default=None)
    line = serializers.IntegerField(min_value=1, max_value=10_000_000, required=False, allow_null=True, default=None)


class HelpQueueQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=HelpState.choices, required=False)


# --- outputs ----------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.SerializerMethodField()

    def get_display_name(self, user: Any) -> str:
        return str(user.name)


class SessionOutputSerializer(serializers.ModelSerializer):
    starter_files = StarterFileSerializer(many=True)
    join_code = serializers.SerializerMethodField()
    participant_count = serializers.SerializerMethodField()
    teacher = PersonSerializer()

    class Meta:
        model = ClassSession
        fields = [
            "id", "title", "language", "instructions", "starter_files", "max_participants",
            "teacher_can_edit", "students_see_each_other", "state", "join_code",
            "created_at", "started_at", "ended_at", "participant_count", "teacher",
        ]  # fmt: skip

    def get_join_code(self, session: ClassSession) -> str | None:
        return session.join_code if session.state == SessionState.LIVE and session.join_code else None

    def get_participant_count(self, session: ClassSession) -> int:
        count = getattr(session, "participant_count", None)
        if count is None:
            count = session.participants.filter(removed_at__isnull=True).count()
        return int(count)


class SessionPageSerializer(serializers.Serializer):
    """One page of the sessions list (documentation of the paginated shape)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SessionOutputSerializer(many=True)


class HelpSummarySerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=[HelpState.OPEN, HelpState.CLAIMED])

    class Meta:
        model = HelpRequest
        fields = ["id", "state", "message", "created_at"]


class ParticipantStatusSerializer(serializers.ModelSerializer):
    """Reads the annotations of `selectors.with_status`. With `viewer_participant_id` in
    the context (a peer reads the list), other students' help messages are left out."""

    online = serializers.BooleanField()
    last_run_status = serializers.SerializerMethodField()
    open_help_request = serializers.SerializerMethodField()
    removed = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = [
            "id", "display_name", "is_guest", "online", "joined_at", "last_activity_at",
            "last_run_status", "open_help_request", "removed",
        ]  # fmt: skip

    def get_last_run_status(self, participant: Participant) -> str | None:
        return getattr(participant, "last_run_status", None)

    @extend_schema_field(HelpSummarySerializer(allow_null=True))
    def get_open_help_request(self, participant: Participant) -> dict[str, Any] | None:
        requests = getattr(participant, "open_help_requests", None) or []
        if not requests:
            return None
        summary = dict(HelpSummarySerializer(requests[0]).data)
        if "viewer_participant_id" in self.context and self.context["viewer_participant_id"] != participant.pk:
            summary["message"] = ""  # a raised hand is visible to peers, what it says is for the teacher
        return summary

    def get_removed(self, participant: Participant) -> bool:
        return participant.removed_at is not None


class ParticipantDetailSerializer(ParticipantStatusSerializer):
    session = SessionOutputSerializer()

    class Meta(ParticipantStatusSerializer.Meta):
        fields = [*ParticipantStatusSerializer.Meta.fields, "session"]


class FileOutputSerializer(serializers.ModelSerializer):
    """The freshest text (`selectors.with_current_text` for lists), not the last snapshot."""

    content = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "name", "content", "updated_at", "size"]

    def get_content(self, document: Document) -> str:
        return selectors.current_text_of(document)

    def get_size(self, document: Document) -> int:
        return filenames.content_size(selectors.current_text_of(document))


class PushedFileSerializer(FileOutputSerializer):
    """A file as the `file.pushed` event carries it."""

    participant_id = serializers.UUIDField(read_only=True)

    class Meta(FileOutputSerializer.Meta):
        fields = [*FileOutputSerializer.Meta.fields, "participant_id"]


class HelpRequestOutputSerializer(serializers.ModelSerializer):
    participant_id = serializers.UUIDField()
    display_name = serializers.CharField(source="participant.display_name")
    file_id = serializers.UUIDField(source="document_id", allow_null=True)
    claimed_by = PersonSerializer(allow_null=True)

    class Meta:
        model = HelpRequest
        fields = [
            "id", "participant_id", "display_name", "message", "file_id", "file_name", "line",
            "last_output", "state", "created_at", "claimed_by", "claimed_at", "resolved_at",
        ]  # fmt: skip


class JoinOutputSerializer(serializers.Serializer):
    participant = ParticipantStatusSerializer()
    session = SessionOutputSerializer()
    files = FileOutputSerializer(many=True)
    token = serializers.CharField(required=False, help_text="Guest token; only when joining as a guest.")


class CurrentOutputSerializer(serializers.Serializer):
    participant = ParticipantStatusSerializer()
    session = SessionOutputSerializer()
    files = FileOutputSerializer(many=True)


class DeliverySerializer(serializers.Serializer):
    participant_id = serializers.UUIDField()
    file_id = serializers.UUIDField()
    name = serializers.CharField()


class SkippedSerializer(serializers.Serializer):
    participant_id = serializers.UUIDField()
    reason = serializers.CharField()


class PushOutputSerializer(serializers.Serializer):
    delivered = DeliverySerializer(many=True)
    skipped = SkippedSerializer(many=True)


class StudentAnalyticsSerializer(serializers.Serializer):
    participant_id = serializers.UUIDField()
    display_name = serializers.CharField()
    is_guest = serializers.BooleanField()
    removed = serializers.BooleanField()
    online = serializers.BooleanField()
    active_seconds = serializers.IntegerField()
    chars_typed = serializers.IntegerField()
    runs = serializers.IntegerField()
    runs_by_status = serializers.DictField(child=serializers.IntegerField())
    failed_runs = serializers.IntegerField(help_text="Runs that ended in an error status.")
    last_error = serializers.CharField(allow_null=True, help_text='"<status>: <message>" of the latest failed run.')
    last_error_status = serializers.CharField(allow_null=True)
    last_error_at = serializers.DateTimeField(allow_null=True)
    help_requests = serializers.IntegerField()
    open_help_requests = serializers.IntegerField()
    exercises = serializers.DictField(required=False, help_text="Exercise scores (when the session has exercises)")


class SessionTotalsSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.CharField()
    duration_seconds = serializers.IntegerField()
    participants = serializers.IntegerField()
    online = serializers.IntegerField()
    active_seconds = serializers.IntegerField()
    chars_typed = serializers.IntegerField()
    runs = serializers.IntegerField()
    runs_by_status = serializers.DictField(child=serializers.IntegerField())
    failed_runs = serializers.IntegerField(help_text="Runs that ended in an error status.")
    help_requests = serializers.IntegerField()
    open_help_requests = serializers.IntegerField()
    exercises = serializers.DictField(required=False, help_text="Exercise scores (when the session has exercises)")


class AnalyticsOutputSerializer(serializers.Serializer):
    session = SessionTotalsSerializer()
    students = StudentAnalyticsSerializer(many=True)
