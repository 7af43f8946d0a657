"""Log in with Spotify: allauth's Spotify provider, with every Spotify URL taken from the settings.

allauth's adapter hardcodes https://accounts.spotify.com and https://api.spotify.com; this one follows
SPOTIFY_ACCOUNTS_URL and SPOTIFY_API_URL, so tests (and a proxy) can point login at another server.
Selected with SOCIALACCOUNT_PROVIDERS["spotify"]["provider_class"].
"""


def spotify_url(base: str, path: str) -> str:
    """`path` under a configured Spotify base URL, whether or not the base ends with a slash."""
    return f"{base.rstrip('/')}/{path.lstrip('/')}"
