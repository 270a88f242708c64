"""django-axes: five wrong passwords lock the account out at the portal's sign-in page."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

LOGIN = "/accounts/login/"


@pytest.mark.django_db
def test_five_failed_logins_lock_the_account_out(client):
    UserFactory(username="own-manager")
    for _ in range(4):
        response = client.post(LOGIN, {"username": "own-manager", "password": "wrong-guess"})
        assert response.status_code == 200
        assert b"didn't match" in response.content

    fifth = client.post(LOGIN, {"username": "own-manager", "password": "wrong-guess"})
    assert fifth.status_code == 429
    assert b"Too many failed sign-ins" in fifth.content

    # Locked out: even the right password does not sign in now.
    right = client.post(LOGIN, {"username": "own-manager", "password": "a-long-test-password"})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_locked_out_account_does_not_lock_out_another_one(client):
    UserFactory(username="own-manager")
    UserFactory(username="other-manager")
    for _ in range(5):
        client.post(LOGIN, {"username": "own-manager", "password": "wrong-guess"})

    response = client.post(LOGIN, {"username": "other-manager", "password": "a-long-test-password"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_four_failures_then_the_right_password_signs_in(client):
    UserFactory(username="own-manager")
    for _ in range(4):
        client.post(LOGIN, {"username": "own-manager", "password": "wrong-guess"})

    response = client.post(LOGIN, {"username": "own-manager", "password": "a-long-test-password"})
    assert response.status_code == 302
