"""The 10-API-tokens limit holds when a listener's requests race (PostgreSQL: real concurrent transactions)."""
from __future__ import annotations

import os
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from accounts.models import ApiToken
from accounts.services import API_TOKENS_PER_USER

RACERS = 24


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="SQLite serialises writers with one database lock: requests cannot race there",
)
@pytest.mark.django_db(transaction=True)
def test_racing_token_requests_never_pass_the_limit():
    user = User.objects.create_user("racer", password="pw")
    clients = []
    for _ in range(RACERS):
        client = Client()
        client.force_login(user)
        clients.append(client)
    start = threading.Barrier(RACERS)
    statuses: list[int] = []

    def make_token(client: Client) -> None:
        try:
            start.wait()
            statuses.append(client.post("/accounts/profile/api-tokens/", {"name": "race"}).status_code)
        finally:
            connection.close()  # each thread has its own connection to PostgreSQL

    threads = [threading.Thread(target=make_token, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [302] * RACERS  # every request answered (the extra ones with "revoke one first")
    assert ApiToken.objects.filter(user=user).count() == API_TOKENS_PER_USER
