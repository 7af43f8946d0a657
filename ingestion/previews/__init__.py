"""Public 30-second previews, from sources that need no listener login: Deezer's API and iTunes Search.

`http.PreviewHttp` handles their faults as the Spotify client handles Spotify's (429 with Retry-After waited out
when short and deferred when long, 5xx / timeouts / unreadable answers retried with backoff, other refusals final);
`deezer` and `itunes` turn their answers into `PreviewCandidate`s; `matching` rejects a candidate that is another
song. Which sources are asked, and whether at all, is up to the settings (`ingestion.services.previews`).
"""
