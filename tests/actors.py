"""Actors for tests that call write use cases directly: a person, or annotate itself."""

from __future__ import annotations

from projects.audit import Actor

SYSTEM = Actor.system("test", via="test")


def actor_for(user) -> Actor:
    """The person `user` (annotate itself when None), as a test calls a use case."""
    return Actor.of(user, via="test", otherwise="test")
