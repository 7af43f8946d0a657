"""The only bridge between the catalog (ORM) and the engines; import from the module that does the work:

- `training`: `recommender_train` (fit, store, activate; skipped when the catalog is unchanged), `song2vec_refit`,
  `model_version_activate`, `model_versions_fail_abandoned`, `model_versions_retire`, `recommender_train_queue`.
- `recommending`: `recommend_content`, `recommend_clusters`, `recommend_situation`, returning Track rows and
  never a track the listener (`user=`) disliked or a curator hid.
- `rebuilds`: the scheduled, debounced rebuilds (dirty: the catalog's change count is past the one rebuilt).
- `today`: each listener's daily list (`today_request`, `today_compute`, `today_precompute_all`), `reaction_set`,
  `today_save_to_spotify`.
- `picks`: the playlists a listener can pick from (their likes, their Spotify, the catalog's).
- `evaluations`: recording `manage.py evaluate` reports.
"""
