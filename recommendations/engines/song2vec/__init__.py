"""Song2Vec: songs for a situation ("코딩할 때 듣기 좋은 음악", "rainy day drive") or for a few seed tracks.

- `engine`: `Song2VecEngine` (fit, save, load, recommend) and how it scores;
- `vectors`: Word2Vec over playlists (`Word2VecParams`, and why those settings);
- `placement`: new releases that no playlist holds yet, placed in the vector space by their content;
- `reasons`: what a request understood, and the words that explain an answer.
"""
