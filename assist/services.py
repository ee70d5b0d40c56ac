"""AI help's writes: providers, policies, and a question's life (opened, progressing,
closed). Synchronous; the streaming itself is assist.streaming."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assist import exercises, groups, limits, prompts
from assist.conf import conf
from assist.errors import AssistRefused
from assist.models import Kind, Mode, Policy, Provider, Question, QuestionStatus
from assist.present import question_view
from assist.providers import Endpoint, Usage
from assist.selectors import policy_of, provider_for_session
from observer import liveness, secret_box
from observer.contract import AssistAnswered, AssistAsked, AssistPolicyChanged
from sessions import events
from sessions.models import ClassSession, Participant, SessionState

# --- providers -----------------------------------------------------------------------------------


def provider_set(
    *, owner: User | None, set_by: User, base_url: str, model: str, organization: str, api_key: str | None
) -> Provider:
    """Create or change the deployment's provider (owner None) or a teacher's own. Without
    `api_key` the stored key is kept (changing the model does not mean typing it again)."""
    provider = Provider.objects.filter(owner=owner, is_deployment=owner is None).first()
    if provider is None:
        if not api_key:
            raise AssistRefused("invalid", "An API key is required for a new provider.")
        provider = Provider(owner=owner, is_deployment=owner is None)
    provider.base_url = base_url
    provider.model = model
    provider.organization = organization
    if api_key:
        provider.sealed_key = secret_box.seal(api_key)
        provider.key_hint = secret_box.mask(api_key)
        provider.set_by = set_by
        provider.set_at = timezone.now()
    elif provider.set_at is None:
        provider.set_at = timezone.now()
    provider.save()
    return provider


def provider_delete(*, provider: Provider) -> None:
    provider.delete()


def endpoint_of(provider: Provider) -> Endpoint:
    return Endpoint(provider.base_url, provider.model, provider.organization, secret_box.open_(provider.sealed_key))


# --- policies ------------------------------------------------------------------------------------


def _announce_policy(policy: Policy) -> None:
    events.broadcast_on_commit(
        groups=[events.session_group(policy.session_id, "teachers")],
        event=AssistPolicyChanged(type="assist.policy", mode=policy.mode,  # type: ignore[typeddict-item]
                                  disabled_participants=list(policy.disabled_participants)),
    )  # fmt: skip
    groups.send_on_commit(groups.session_group(policy.session_id), {"type": "assist.refresh"})


@transaction.atomic
def policy_set(
    *, session: ClassSession, mode: str, per_student_per_hour: int, session_budget: int,
    exercise_modes: dict[str, str] | None = None,
) -> Policy:  # fmt: skip
    policy = policy_of(session=session)
    policy.mode, policy.per_student_per_hour, policy.session_budget = mode, per_student_per_hour, session_budget
    if exercise_modes is not None:
        exercises.check_overrides(session_id=session.pk, overrides=exercise_modes)
        policy.exercise_modes = exercise_modes
    policy.save()
    _announce_policy(policy)
    return policy


@transaction.atomic
def participant_help_set(*, participant: Participant, enabled: bool) -> Policy:
    """Turn AI help on or off for one student (the class: `policy_set` with mode off)."""
    policy = Policy.objects.select_for_update().filter(session=participant.session).first() or policy_of(
        session=participant.session
    )
    disabled = [pid for pid in policy.disabled_participants if pid != str(participant.pk)]
    if not enabled:
        disabled.append(str(participant.pk))
    policy.disabled_participants = disabled
    policy.save()
    _announce_policy(policy)
    return policy


# --- a question's life ---------------------------------------------------------------------------


@dataclass
class Opened:
    question: Question
    endpoint: Endpoint
    messages: list[dict[str, str]]
    allowance: limits.Allowance


def _check_may_ask(*, participant: Participant, policy: Policy, mode: str) -> None:
    if participant.session.state != SessionState.LIVE:
        raise AssistRefused("session_not_live", "AI help works while the session is live.", status=409)
    if mode == Mode.OFF and policy.mode != Mode.OFF:
        raise AssistRefused("assist_off", "AI help is off while this exercise is open.", status=403)
    if mode == Mode.OFF:
        raise AssistRefused("assist_off", "Your teacher has not turned AI help on for this session.", status=403)
    if str(participant.pk) in policy.disabled_participants:
        raise AssistRefused("assist_off", "Your teacher turned AI help off for you.", status=403)


def question_open(
    *, participant: Participant, kind: str, text: str, file_name: str | None = None, line: int | None = None,
    exercise_id: str | None = None,
) -> Opened:  # fmt: skip
    """Check the policy and the limits, gather the context, store the question. Raises
    AssistRefused (nothing stored, nothing counted) when it may not be asked."""
    text = text.strip()
    if kind not in Kind.values:
        raise AssistRefused("invalid", f"kind must be one of {', '.join(Kind.values)}.")
    if kind == Kind.QUESTION and not text:
        raise AssistRefused("invalid", "Type a question first.")
    if len(text) > int(conf("QUESTION_CHARS")):
        raise AssistRefused("too_large", f"Questions are limited to {conf('QUESTION_CHARS')} characters.")
    if line is not None and (not isinstance(line, int) or isinstance(line, bool) or line < 1):
        raise AssistRefused("invalid", "line must be a positive integer.")
    session = participant.session
    policy = policy_of(session=session)
    mode = exercises.effective_mode(policy=policy)
    _check_may_ask(participant=participant, policy=policy, mode=mode)
    # One answer at a time per student (a row left streaming by a process that died stops
    # counting after a few minutes).
    recent = timezone.now() - timedelta(minutes=5)
    if Question.objects.filter(
        participant=participant, status=QuestionStatus.STREAMING, created_at__gte=recent
    ).exists():
        raise AssistRefused("busy", "Wait for the answer to your last question, or stop it.", status=409)
    provider = provider_for_session(session=session)
    if provider is None:
        raise AssistRefused("not_configured", "No AI provider is set up for this session.", status=409)
    context = prompts.gather(participant=participant, kind=kind, file_name=file_name, line=line)
    exercise_id = exercise_id or exercises.the_open_exercise(session_id=session.pk)
    if exercise_id is not None:
        context.exercise, context.exercise_text = exercises.exercise_context(participant=participant,
                                                                             link_id=exercise_id)  # fmt: skip
    if kind == Kind.EXPLAIN and context.run is None:
        raise AssistRefused("no_failed_run", "Your last run did not fail: there is no error to explain.", status=409)
    allowance = limits.take(policy=policy, participant_id=participant.pk)
    if not allowance.allowed:
        if allowance.session_used >= allowance.session_budget:
            raise AssistRefused("budget_spent", "This session's AI help budget is spent.", status=429)
        raise AssistRefused(
            "rate_limited", f"You have asked {allowance.limit} questions this hour; wait a little.",
            status=429, retry_after=allowance.retry_after,
        )  # fmt: skip
    endpoint = endpoint_of(provider)
    messages = [
        {"role": "system", "content": prompts.system_prompt(mode=mode, language=session.language)},
        {"role": "user", "content": prompts.user_message(kind=kind, text=text, context=context,
                                                         instructions=session.instructions)},
    ]  # fmt: skip
    with transaction.atomic():
        liveness.ensure_alive()  # this process generates the answer (assist.sweeper ends it if the process dies)
        question = Question.objects.create(
            session=session, participant=participant, kind=kind, text=text, context=context.record(),
            error_summary=context.error_summary, mode=mode, model=provider.model, owner=liveness.PROCESS,
        )  # fmt: skip
        question.participant = participant
        events.broadcast_on_commit(
            groups=[events.session_group(session.pk, "teachers")],
            event=AssistAsked(type="assist.asked", question=question_view(question, for_teacher=True)),
        )
        groups.send_on_commit(groups.participant_group(participant.pk), _frame(question))
    return Opened(question, endpoint, messages, allowance)


def _frame(question: Question, answer: str | None = None) -> dict[str, object]:
    return {
        "type": "assist.frame",
        "frame": {"type": "assist.question", "question": question_view(question, for_teacher=False, answer=answer)},
        "teacher_frame": {"type": "assist.question", "question": question_view(question, for_teacher=True,
                                                                             answer=answer)},
    }  # fmt: skip


def question_progress(*, question_id: uuid.UUID, answer: str) -> None:
    """Keep what was generated so far (a tab that reconnects, in any process, resumes from it)."""
    Question.objects.filter(pk=question_id, status=QuestionStatus.STREAMING).update(answer=answer)


def question_close(
    *, question_id: uuid.UUID, status: str, answer: str, withheld: str = "", error: str = "", usage: Usage,
    duration_ms: int, allowance: limits.Allowance,
) -> Question:  # fmt: skip
    with transaction.atomic():
        question = Question.objects.select_related("participant").get(pk=question_id)
        question.status = status
        question.answer = answer
        question.withheld_answer = withheld
        question.error = error[:300]
        question.prompt_tokens = usage.prompt_tokens
        question.completion_tokens = usage.completion_tokens
        question.duration_ms = duration_ms
        question.finished_at = timezone.now()
        question.save()
        if status == QuestionStatus.FAILED:
            limits.refund(allowance=allowance)  # the provider never answered: it costs nothing
        events.broadcast_on_commit(
            groups=[events.session_group(question.session_id, "teachers")],
            event=AssistAnswered(type="assist.answered", question=question_view(question, for_teacher=True)),
        )
        groups.send_on_commit(groups.participant_group(question.participant_id), _frame(question))
        groups.send_on_commit(groups.participant_group(question.participant_id), {"type": "assist.refresh"})
    return question
