import pytest

from tests.accounts.fake_oauth import CLIENT_ID, CLIENT_SECRET, FakeSpotifyAccounts


@pytest.fixture
def fake_spotify_accounts(settings):
    """A fake Spotify accounts service and /me on 127.0.0.1, with this server's Spotify app pointed at it."""
    with FakeSpotifyAccounts() as fake:
        settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
        settings.SPOTIFY_ACCOUNTS_URL, settings.SPOTIFY_API_URL = fake.accounts_url, fake.api_url
        providers = {**settings.SOCIALACCOUNT_PROVIDERS}
        providers["spotify"] = {**providers["spotify"], "APPS": [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET}]}
        settings.SOCIALACCOUNT_PROVIDERS = providers
        yield fake
