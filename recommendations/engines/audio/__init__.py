"""Audio analysis (issue 12): measure a recording's tempo, key, mode, loudness, duration and time signature, and a
descriptor vector for a learned feature mapping. Pure (librosa, soundfile, pyloudnorm; no Django).

- `analysis.analyse_audio(path_or_bytes)` -> `AudioAnalysis`; raises `decoding.AudioError` with a clear message.
- `mapping.AudioFeatureModel`: the learned descriptor -> feature regression (ridge or boosted trees per feature,
  chosen by cross-validated error), and the measured-only fallback when too few tracks teach it (`regressors`).
- `rhythm`, `tonal`: the tempo/metre and key/mode estimators on librosa's onset envelope and chroma.
"""
