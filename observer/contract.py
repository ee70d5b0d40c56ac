"""Every event and socket frame the server sends, defined once.

Each frame is a TypedDict. The server builds frames by calling them (mypy checks the
fields at every call), `observer.contract_render` generates the browser's types
(frontend/src/api/events.gen.ts) and the frame tables of docs/API.md from them, and
`problems` tells whether a frame a socket sent conforms (the test suite applies it to
every frame the tests make a server send, as zulip checks its events against one schema).

Objects the REST API already defines (a session, a participant's status, a help request,
a file) travel as their serializers' output: NewTypes here, named as the browser names
them. This module imports no app, so every app may build its frames with it.
"""


import functools
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NewType, NotRequired, TypedDict, Union, get_args, get_origin, get_type_hints

# --- what the REST API defines (the serializer's output, as the event carries it) --------

ClassSession = NewType("ClassSession", dict[str, Any])
ParticipantStatus = NewType("ParticipantStatus", dict[str, Any])
HelpRequest = NewType("HelpRequest", dict[str, Any])
PushedFile = NewType("PushedFile", dict[str, Any])
"""A file as the files API lists it, plus the `participant_id` it was pushed to."""


@dataclass(frozen=True)
class OneOf:
    """A string field that takes one of these values. Annotated on `str` rather than a
    Literal where the sender holds a model's text field (an `Execution.status`)."""

    values: tuple[str, ...]


RunStatus = Annotated[
    str,
    OneOf(("ok", "runtime-error", "compile-error", "timeout", "memory-limit", "output-limit", "killed",
           "sandbox-error")),
]


# --- every socket -------------------------------------------------------------------------


class ErrorFrame(TypedDict):
    """A frame the server could not take (the socket stays open), or a refusal."""

    type: Literal["error"]
    code: str
    message: str
    retry_after: NotRequired[int]


# --- /ws/sessions/{session_id}/ -------------------------------------------------------------


class Snapshot(TypedDict):
    """On connect, to the session's teachers: the class and its open and claimed help requests."""

    type: Literal["snapshot"]
    participants: list[ParticipantStatus]
    help: list[HelpRequest]


class Pong(TypedDict):
    """The answer to the client's `{"type": "ping"}`."""

    type: Literal["pong"]


class SessionUpdated(TypedDict):
    """The session started, ended, reopened or its settings changed."""

    type: Literal["session.updated"]
    session: ClassSession


class FilePushed(TypedDict):
    """The teacher pushed a file to this participant."""

    type: Literal["file.pushed"]
    file: PushedFile


class HelpUpdated(TypedDict):
    """The participant's own help request changed."""

    type: Literal["help.updated"]
    help_request: HelpRequest


HelpChange = Literal["help.raised", "help.claimed", "help.resolved", "help.cancelled"]


class HelpChanged(TypedDict):
    """A help request was raised, claimed, resolved or cancelled."""

    type: HelpChange
    help_request: HelpRequest


class ParticipantJoined(TypedDict):
    """A participant joined the session."""

    type: Literal["participant.joined"]
    participant: ParticipantStatus


class ParticipantLeft(TypedDict):
    """The participant's last live socket closed."""

    type: Literal["participant.left"]
    participant: ParticipantStatus


class ParticipantRemoved(TypedDict):
    """The teacher removed the participant (their own socket then closes with 4403)."""

    type: Literal["participant.removed"]
    participant: ParticipantStatus


class Presence(TypedDict):
    """Online while any of the participant's own document, terminal or session sockets is open."""

    type: Literal["presence"]
    participant_id: str
    online: bool


class Typing(TypedDict):
    """Someone typed in a participant's document (at most one per document per 2 s)."""

    type: Literal["typing"]
    participant_id: str
    document_id: str
    at: str
    by: Literal["participant", "teacher"]


class Preview(TypedDict):
    """A document's text, coalesced (at most one per document per 0.25 s), capped at 4000
    characters; `opened` when the student just opened the file in an editor."""

    type: Literal["preview"]
    participant_id: str
    document_id: str
    name: str
    text: str
    truncated: bool
    opened: bool


class FileDeleted(TypedDict):
    """A participant's file was deleted (a tile showing it lets go of it)."""

    type: Literal["file.deleted"]
    participant_id: str
    document_id: str
    name: str


class RunStarted(TypedDict):
    """A participant's run started."""

    type: Literal["run.started"]
    participant_id: str
    run_id: str
    language: str


class RunEnded(TypedDict):
    """A participant's run ended (and was recorded)."""

    type: Literal["run.ended"]
    participant_id: str
    run_id: str
    status: RunStatus
    exit_code: int | None
    wall_ms: int | None


# --- AI help (assist), on the session socket and /ws/assist/{participant_id}/ -------------------


class AssistRun(TypedDict):
    """The failed run a question was about: how it ended, its error line, the output's
    tail, the file and line the output names and the code around that line."""

    status: str
    error: str
    output_tail: str
    file: str | None
    line: int | None
    code_around: NotRequired[str]


class AssistFile(TypedDict):
    name: str
    bytes: int
    truncated: bool


class AssistPlace(TypedDict):
    file: str
    line: int


class AssistExercise(TypedDict):
    """The session's exercise a question was about (its statement and sample tests went;
    hidden tests never do), and the sample tests the student's last check failed."""

    id: str
    title: str
    failing_samples: list[str]


class AssistContext(TypedDict):
    """What was sent besides the question (files by name and size; their text went too)."""

    language: str
    run: AssistRun | None
    files: list[AssistFile]
    asked_about: AssistPlace | None
    exercise: NotRequired[AssistExercise]


class AssistQuestion(TypedDict):
    """A question to the AI and its answer (so far). The teacher also gets `context` (what was
    sent besides the question) and, for an answer withheld by the policy, `withheld_answer`."""

    id: str
    participant_id: str
    participant_name: str
    kind: Literal["explain", "hint", "question"]
    text: str
    status: Literal["streaming", "answered", "stopped", "withheld", "failed"]
    answer: str
    error: str
    error_summary: str
    mode: Literal["off", "hints", "explain", "full"]
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    duration_ms: int | None
    created_at: str
    finished_at: str | None
    context: NotRequired[AssistContext]
    withheld_answer: NotRequired[str]


class AssistAllowance(TypedDict):
    """What the student may ask now: the policy's mode, whether help is on for them, and
    the questions left this hour and in the session's budget."""

    mode: Literal["off", "hints", "explain", "full"]
    enabled: bool
    configured: bool
    left: int
    limit: int
    used: int
    resets_at: str
    session_left: int


class AssistAsked(TypedDict):
    """A student asked the AI a question."""

    type: Literal["assist.asked"]
    question: AssistQuestion


class AssistAnswered(TypedDict):
    """The AI's answer to a question is complete (answered, stopped, withheld or failed)."""

    type: Literal["assist.answered"]
    question: AssistQuestion


class AssistPolicyChanged(TypedDict):
    """The teacher changed the session's AI help policy (each student's own tabs then get
    their new `assist.allowance` on the assist socket)."""

    type: Literal["assist.policy"]
    mode: Literal["off", "hints", "explain", "full"]
    disabled_participants: list[str]


class AssistState(TypedDict):
    """On connect: what the student may ask and their latest questions, an answer still
    streaming with the text generated so far (a reconnecting tab resumes from it)."""

    type: Literal["assist.state"]
    allowance: AssistAllowance
    questions: list[AssistQuestion]


class AssistQuestionChanged(TypedDict):
    """A question was asked or its answer completed (the full record)."""

    type: Literal["assist.question"]
    question: AssistQuestion


class AssistDelta(TypedDict):
    """More of an answer: `text` goes at character `offset` of the answer (a frame whose
    offset a tab already has is a repeat after a resume, and is skipped)."""

    type: Literal["assist.delta"]
    question_id: str
    offset: int
    text: str


class AssistAllowanceChanged(TypedDict):
    """What the student may ask changed (they asked, or the teacher changed the policy)."""

    type: Literal["assist.allowance"]
    allowance: AssistAllowance


# --- exercises in a session (exercises.classroom), on the session socket ----------------------


class ExerciseProgress(TypedDict):
    """A Check or Submit on its way: waiting in the run queue (`position`, 1 = next) or
    running, `done` of `total` tests reported so far."""

    type: Literal["exercise.progress"]
    submission_id: str
    session_exercise_id: str
    kind: Literal["check", "submit"]
    phase: Literal["queued", "running"]
    position: int | None
    done: int
    total: int


class OutputDifference(TypedDict):
    """Where a sample case's output first differs (line numbers from 1; null: no such line)."""

    line: int
    expected: str | None
    got: str | None


class UnitResult(TypedDict):
    name: str
    passed: bool
    status: str
    message: str


class StudentTest(TypedDict):
    """One test's result for the student: a hidden test has only the first seven fields."""

    id: str
    kind: Literal["io", "unit"]
    visibility: Literal["sample", "hidden"]
    weight: int
    passed: bool
    status: str
    score: int
    name: NotRequired[str]
    message: NotRequired[str]
    time_ms: NotRequired[int | None]
    exit_code: NotRequired[int | None]
    signal: NotRequired[int | None]
    stdin: NotRequired[str]
    expected: NotRequired[str]
    stdout: NotRequired[str]
    stderr: NotRequired[str]
    difference: NotRequired[OutputDifference | None]
    unit_tests: NotRequired[list[UnitResult]]


class StudentSubmission(TypedDict):
    """A submission as its student may see it: hidden tests reduced to pass/fail."""

    id: str
    session_exercise_id: str
    kind: Literal["check", "submit"]
    status: Literal["queued", "graded", "compile-error", "error", "refused"]
    score: int
    max_score: int
    passed: bool
    late: bool
    message: str
    created_at: str
    tests: list[StudentTest]
    hidden_total: int
    hidden_passed: int


class ExerciseResult(TypedDict):
    """A Check or Submit was graded (or refused, or failed): the student's view of it."""

    type: Literal["exercise.result"]
    submission: StudentSubmission


class ExerciseGraded(TypedDict):
    """A submission (Submit, or a regrade of one) landed: the grid's cell for the student
    and exercise, with the score that counts under the teacher's policy."""

    type: Literal["exercise.graded"]
    participant_id: str
    session_exercise_id: str
    submission_id: str
    status: Literal["queued", "graded", "compile-error", "error", "refused"]
    score: int
    max_score: int
    passed: bool
    late: bool
    counted_score: int | None


class ExercisesChanged(TypedDict):
    """The session's exercises changed (attached, opened, closed, removed, a test fixed):
    fetch them again."""

    type: Literal["exercises.changed"]


class ExerciseRegrade(TypedDict):
    """A regrade's progress: `done` of `total` submissions graded again."""

    type: Literal["exercise.regrade"]
    session_exercise_id: str
    done: int
    total: int


class FeedbackAdded(TypedDict):
    """A teacher commented on a line of the participant's file."""

    type: Literal["feedback.added"]
    participant_id: str
    feedback_id: str
    submission_id: str | None
    file_name: str
    line: int
    text: str
    created_at: str


# What services broadcast to a session's channel-layer groups (sessions.events).
BroadcastEvent = (
    SessionUpdated | FilePushed | HelpUpdated | HelpChanged | ParticipantJoined | ParticipantLeft
    | ParticipantRemoved | Presence | FileDeleted | RunStarted | RunEnded | AssistAsked | AssistAnswered
    | AssistPolicyChanged | ExerciseProgress | ExerciseResult | ExerciseGraded | ExercisesChanged | ExerciseRegrade
    | FeedbackAdded
)
# What document hubs send the teachers' monitor on the live registry's feed.
FeedEvent = Typing | Preview


# --- /ws/documents/{document_id}/ (text frames; the rest is binary y-protocols) -------------


class DocumentReadonly(TypedDict):
    """On connect, and again whenever it changes: whether this socket may edit."""

    type: Literal["readonly"]
    readonly: bool


# --- /ws/terminal/{participant_id}/ (text frames; output is binary) -------------------------


class TerminalQueued(TypedDict):
    """The run waits for a slot; 1 = next (sent again when it moves, at most once a second)."""

    type: Literal["queued"]
    position: int


class TerminalStarted(TypedDict):
    """The run started (also to a socket that connects while it runs, before the output's tail)."""

    type: Literal["started"]
    run_id: str
    language: str
    entry: str


class TerminalPhase(TypedDict):
    """A compiled language's step."""

    type: Literal["phase"]
    phase: Literal["compiling", "running"]


class TerminalExit(TypedDict):
    """The run ended: how, and what it used."""

    type: Literal["exit"]
    run_id: str
    status: RunStatus
    exit_code: int | None
    signal: int | None
    wall_ms: int | None
    cpu_ms: int | None
    peak_memory_kb: int | None
    output_bytes: int | None
    message: str


# What a run's owner sends every terminal socket of the participant (coding's status frames).
TerminalStatus = TerminalQueued | TerminalStarted | TerminalPhase | TerminalExit


# --- /ws/executions/{execution_id}/ (an API key's execution as it runs; text frames) ---------


class ExecutionStarted(TypedDict):
    """The run started (sent to the sockets there then; a later socket hears what follows)."""

    type: Literal["started"]
    run_id: str
    language: str
    entry: str


class ExecutionOutput(TypedDict):
    """The program's output as it comes, stdout and stderr apart (UTF-8 text; a character
    split between two chunks arrives whole in the second)."""

    type: Literal["stdout", "stderr"]
    data: str


class ExecutionAnswer(TypedDict):
    """An execution as GET /api/v1/executions/{id} answers it."""

    id: str
    language: str
    status: RunStatus
    exit_code: int | None
    signal: int | None
    message: str
    stdout: str | None
    stderr: str | None
    wall_ms: int | None
    cpu_ms: int | None
    peak_memory_kb: int | None
    queue_wait_ms: int
    created_at: str
    finished_at: str | None


class ExecutionResult(TypedDict):
    """The run is over (or was before the socket came): the stored result, whole; the
    socket then closes (1000)."""

    type: Literal["result"]
    execution: ExecutionAnswer


# --- /ws/monitoring/ ---------------------------------------------------------------------------


class ParticipantFigures(TypedDict):
    joined: int
    online: int


class ConnectionFigures(TypedDict):
    total: int
    by_kind: dict[str, int]


class SystemHeadline(TypedDict):
    cpu_percent: float
    memory_percent: float
    disk_percent: float
    load_1m: float
    status: Literal["healthy", "degraded", "unhealthy"]


class DashboardFigures(TypedDict):
    """The dashboard's current figures (as GET /api/monitoring/figures answers): on connect,
    shortly after runs and sockets change, on a slow tick and on `{"type": "refresh"}`."""

    type: Literal["figures"]
    at: str
    window_seconds: int
    active_runs: int
    queued_runs: int
    live_sessions: int
    participants: ParticipantFigures
    connections: ConnectionFigures
    runs: int
    runs_finished: int
    runs_ok: int
    runs_failed: int
    success_rate: float | None
    avg_wall_ms: int | None
    p95_wall_ms: int | None
    peak_concurrency: int
    errors: int
    system: SystemHeadline


# --- between server processes (the channel layer), never sent to a browser ------------------


class SessionEventMessage(TypedDict):
    """How a broadcast event travels to the consumers of a group."""

    type: Literal["session.event"]
    event: BroadcastEvent


class FiguresChanged(TypedDict):
    """Asks every open dashboard (every process) to push fresh figures."""

    type: Literal["figures.changed"]
    at: float
    reason: str


# --- which socket sends what ----------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    definition: type
    to: str  # who receives it


@dataclass(frozen=True)
class Socket:
    kind: str  # the consumer's `kind`
    path: str
    union: str  # the TypeScript union of its frames
    frames: tuple[Frame, ...]

    @functools.cached_property
    def definitions(self) -> dict[str, type]:
        """Each frame type's definition."""
        return {name: frame.definition for frame in self.frames for name in type_names(frame.definition)}


@functools.cache
def hints(definition: type) -> dict[str, Any]:
    """A definition's fields and their types (NotRequired and Annotated kept)."""
    return get_type_hints(definition, include_extras=True)


def type_names(definition: type) -> tuple[str, ...]:
    """The `type` values a definition covers (one, or several sharing the fields)."""
    return get_args(hints(definition)["type"])


TEACHERS = "the session's teachers and admins"
SOCKETS: tuple[Socket, ...] = (
    Socket("session", "/ws/sessions/{session_id}/", "SessionEvent", (
        Frame(Snapshot, TEACHERS),
        Frame(SessionUpdated, "everyone in the session"),
        Frame(FilePushed, "the participants pushed to"),
        Frame(HelpUpdated, "the participant's own tabs"),
        Frame(ParticipantRemoved, f"{TEACHERS}; the removed participant's own tabs"),
        Frame(ParticipantJoined, TEACHERS),
        Frame(ParticipantLeft, TEACHERS),
        Frame(Presence, TEACHERS),
        Frame(Typing, TEACHERS),
        Frame(Preview, TEACHERS),
        Frame(FileDeleted, TEACHERS),
        Frame(RunStarted, TEACHERS),
        Frame(RunEnded, TEACHERS),
        Frame(HelpChanged, TEACHERS),
        Frame(AssistAsked, TEACHERS),
        Frame(AssistAnswered, TEACHERS),
        Frame(AssistPolicyChanged, TEACHERS),
        Frame(ExerciseProgress, "the participant's own tabs"),
        Frame(ExerciseResult, "the participant's own tabs"),
        Frame(ExerciseGraded, TEACHERS),
        Frame(ExercisesChanged, "everyone in the session"),
        Frame(ExerciseRegrade, TEACHERS),
        Frame(FeedbackAdded, f"the participant's own tabs; {TEACHERS}"),
        Frame(Pong, "the socket that pinged"),
        Frame(ErrorFrame, "the socket that sent a bad frame"),
    )),
    Socket("document", "/ws/documents/{document_id}/", "DocumentFrame", (
        Frame(DocumentReadonly, "the socket"),
        Frame(ErrorFrame, "the socket that sent a bad frame or a refused change"),
    )),
    Socket("terminal", "/ws/terminal/{participant_id}/", "TerminalFrame", (
        Frame(TerminalQueued, "every terminal socket of the participant, in any process (teachers' mirrors too)"),
        Frame(TerminalStarted, "every terminal socket of the participant"),
        Frame(TerminalPhase, "every terminal socket of the participant"),
        Frame(TerminalExit, "every terminal socket of the participant"),
        Frame(ErrorFrame, "the socket that asked only"),
    )),
    Socket("assist", "/ws/assist/{participant_id}/", "AssistFrame", (
        Frame(AssistState, "the socket, on connect"),
        Frame(AssistQuestionChanged, "every assist socket of the participant (their teacher's too)"),
        Frame(AssistDelta, "every assist socket of the participant (their teacher's too)"),
        Frame(AssistAllowanceChanged, "every assist socket of the participant"),
        Frame(Pong, "the socket that pinged"),
        Frame(ErrorFrame, "the socket that asked (a refused question: `assist_off`, `rate_limited` with "
                          "`retry_after`, `budget_spent`, `not_configured`, `invalid`, `too_large`, `forbidden`)"),
    )),
    Socket("execution", "/ws/executions/{execution_id}/", "ExecutionFrame", (
        Frame(TerminalQueued, "the execution's sockets, in any process"),
        Frame(ExecutionStarted, "the execution's sockets"),
        Frame(TerminalPhase, "the execution's sockets"),
        Frame(ExecutionOutput, "the execution's sockets"),
        Frame(TerminalExit, "the execution's sockets"),
        Frame(ExecutionResult, "the execution's sockets, last (then 1000)"),
        Frame(ErrorFrame, "the execution's sockets when the run was refused (`rate_limited` with `retry_after`, "
                          "`busy`, `invalid`, `server_error`; then 1000), or a socket that sent a frame"),
    )),
    Socket("monitoring", "/ws/monitoring/", "DashboardFrame", (
        Frame(DashboardFigures, "every open dashboard"),
        Frame(ErrorFrame, "the dashboard (`unavailable`: figures cannot be computed now; or a bad frame)"),
    )),
)
SOCKETS_BY_KIND = {socket.kind: socket for socket in SOCKETS}


# --- conformance ------------------------------------------------------------------------------


def problems(frame: object, *, socket: str) -> list[str]:
    """What makes `frame` (as parsed from JSON) not a frame the contract lets `socket` send."""
    if not isinstance(frame, Mapping) or not isinstance(frame.get("type"), str):
        return [f"not an object with a string type: {frame!r:.200}"]
    definition = SOCKETS_BY_KIND[socket].definitions.get(frame["type"])
    if definition is None:
        return [f"{frame['type']!r} is not a frame of the {socket} socket"]
    return [f"{frame['type']}: {problem}" for problem in typed_dict_problems(frame, definition)]


def typed_dict_problems(value: Mapping[str, object], definition: type) -> list[str]:
    fields = hints(definition)
    required: frozenset[str] = getattr(definition, "__required_keys__", frozenset())
    found = [f"missing {key!r}" for key in sorted(required - value.keys())]
    found += [f"unexpected {key!r}" for key in sorted(value.keys() - fields.keys())]
    for key in sorted(value.keys() & fields.keys()):
        mismatch = value_problem(value[key], fields[key])
        if mismatch:
            found.append(f"{key!r} {mismatch}")
    return found


def value_problem(value: object, hint: Any) -> str | None:
    """Why `value` is not of type `hint` (None when it is)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is NotRequired:
        return value_problem(value, args[0])
    if origin is Annotated:
        problem = value_problem(value, args[0])
        values = [item.values for item in hint.__metadata__ if isinstance(item, OneOf)]
        if problem is None and values and value not in values[0]:
            problem = f"is {value!r}, not one of {', '.join(values[0])}"
        return problem
    if origin is Literal:
        return None if value in args else f"is {value!r}, not one of {', '.join(map(repr, args))}"
    if origin in (Union, types.UnionType):
        return None if any(value_problem(value, arm) is None for arm in args) else f"is {value!r:.80}: no {hint}"
    if origin is list:
        if not isinstance(value, list):
            return f"is {type(value).__name__}, not a list"
        return next((f"[{i}] {p}" for i, item in enumerate(value) if (p := value_problem(item, args[0]))), None)
    if origin is dict:
        if not isinstance(value, dict):
            return f"is {type(value).__name__}, not an object"
        return next((f"[{k!r}] {p}" for k, item in value.items() if (p := value_problem(item, args[1]))), None)
    if isinstance(hint, NewType):
        return value_problem(value, hint.__supertype__)
    if isinstance(hint, type) and hasattr(hint, "__required_keys__"):
        if not isinstance(value, Mapping):
            return f"is {type(value).__name__}, not an object"
        nested = typed_dict_problems(value, hint)
        return "; ".join(nested) if nested else None
    if hint is Any:
        return None
    if hint is type(None):
        return None if value is None else f"is {value!r:.80}, not null"
    expected = {str: (str,), bool: (bool,), int: (int,), float: (int, float)}[hint]
    if isinstance(value, expected) and (hint is bool or not isinstance(value, bool)):
        return None
    return f"is {type(value).__name__}, not {hint.__name__}"
