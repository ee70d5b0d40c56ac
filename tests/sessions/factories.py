"""Factories for classroom sessions, participants, files, help requests and runs."""

from __future__ import annotations

import factory
from django.utils import timezone

from coding.models import Execution
from sessions import joincodes
from sessions.models import ClassSession, Document, HelpRequest, Participant, SessionState
from tests.factories import TeacherFactory, UserFactory


class ClassSessionFactory(factory.django.DjangoModelFactory):
    """A live session with one starter file."""

    class Meta:
        model = ClassSession

    teacher = factory.SubFactory(TeacherFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    language = "python"
    instructions = "Print a greeting."
    starter_files = factory.LazyFunction(lambda: [{"name": "main.py", "content": "print('hello')\n"}])
    state = SessionState.LIVE
    join_code = factory.LazyFunction(joincodes.new_code)
    started_at = factory.LazyFunction(timezone.now)


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A signed-in student in a session."""

    class Meta:
        model = Participant

    session = factory.SubFactory(ClassSessionFactory)
    user = factory.SubFactory(UserFactory)
    display_name = factory.LazyAttribute(lambda p: p.user.name if p.user else "Guest")
    is_guest = False


class GuestParticipantFactory(ParticipantFactory):
    user = None
    display_name = factory.Sequence(lambda n: f"Guest {n}")
    is_guest = True


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    participant = factory.SubFactory(ParticipantFactory)
    name = factory.Sequence(lambda n: f"file{n}.py")
    content = "x = 1\n"


class HelpRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HelpRequest

    participant = factory.SubFactory(ParticipantFactory)
    session = factory.LazyAttribute(lambda h: h.participant.session)
    message = "I am stuck"


class ExecutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Execution

    participant = factory.SubFactory(ParticipantFactory)
    session = factory.LazyAttribute(lambda e: e.participant.session)
    user = factory.LazyAttribute(lambda e: e.participant.user)
    language = "python"
    entry = "main.py"
    status = "ok"
    exit_code = 0
    wall_ms = 40
    output_tail = "hello\n"
