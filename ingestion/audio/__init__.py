"""Audio files as the catalog receives them: is it audio (`files`), what do its tags and name say (`tags`, `names`).

Plain functions on bytes and file names (soundfile, mutagen), no database: the upload service
(`ingestion.services.audio_uploads`) and the preview lookup (`ingestion.previews`, `ingestion.services.previews`)
build on them. Messages are lazy translations, so the admin shows them in the curator's language.
"""
