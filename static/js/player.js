// The one player of a page that lists songs (templates/recommendations/_player.html): "play all", play/pause,
// previous/next and what is playing, over every card's [data-player-item]. Per card the server chose how it plays
// (recommendations/playback.py): "audio" (the site's own preview, in one <audio> element), "sdk" (Spotify's Web
// Playback SDK, for Premium listeners), "embed" (Spotify's embed player on the card) or "none". Whatever fails —
// a preview that will not load, the SDK that cannot start, Spotify's hosts out of reach — the card or the bar
// says so in words, and playback goes on with the next song that can play.
(function () {
  "use strict";
  var bar = document.getElementById("player");
  if (!bar || !window.fetch || !window.Promise) return;
  var text = bar.dataset;
  var audio = bar.querySelector(".player-audio");
  var ui = {
    state: bar.querySelector(".player-state"),
    title: bar.querySelector(".player-title"),
    artists: bar.querySelector(".player-artists"),
    status: bar.querySelector(".player-status"),
    time: bar.querySelector(".player-time"),
    duration: bar.querySelector(".player-duration"),
    progress: bar.querySelector(".player-bar-progress"),
    toggleIcon: bar.querySelector(".player-toggle-icon"),
    toggleLabel: bar.querySelector(".player-toggle-label"),
  };
  var controls = {};
  bar.querySelectorAll("[data-action]").forEach(function (button) { controls[button.dataset.action] = button; });

  var items = Array.prototype.map.call(document.querySelectorAll("[data-player-item]"), function (node) {
    return {
      node: node,
      card: node.closest("li") || node,
      kind: node.dataset.kind,
      title: node.dataset.title || "",
      artists: node.dataset.artists || "",
      audioUrl: node.dataset.audioUrl || "",
      spotifyId: node.dataset.spotifyId || "",
      uri: node.dataset.spotifyUri || "",
      link: node.querySelector("[data-play]"),
      embedLink: node.querySelector("[data-embed]"),
      status: node.querySelector(".play-status"),
      failed: false,
    };
  });
  var current = null;   // the item in the player
  var playing = false;
  var sdk = { wanted: text.sdk === "1", ready: false, player: null, deviceId: null, token: null, failed: false };

  // A problem (a preview that failed, Spotify out of reach) reads as a warning; a hint ("press play") does not.
  function say(message, hint) {
    ui.status.textContent = message || "";
    ui.status.classList.toggle("is-hint", Boolean(hint));
  }
  function sayOnCard(item, message) { if (item.status) item.status.textContent = message; }
  function clock(seconds) {
    if (!isFinite(seconds) || seconds < 0) seconds = 0;
    var whole = Math.floor(seconds);
    return Math.floor(whole / 60) + ":" + ("0" + (whole % 60)).slice(-2);
  }

  // The songs this page plays itself, in page order; cards removed meanwhile (a dislike) drop out.
  function queue() {
    return items.filter(function (item) {
      return (item.kind === "audio" || item.kind === "sdk") && !item.failed && document.body.contains(item.node);
    });
  }

  function render() {
    items.forEach(function (item) {
      var isCurrent = item === current;
      item.card.classList.toggle("is-playing", isCurrent && playing);
      if (!item.link || item.kind === "embed") return;
      item.link.setAttribute("aria-pressed", isCurrent && playing ? "true" : "false");
      item.link.querySelector(".play-icon").textContent = isCurrent && playing ? "❚❚" : "▶";
      item.link.querySelector(".play-label").textContent = isCurrent && playing ? text.textPause : text.textPlay;
    });
    if (current) {
      ui.state.textContent = playing ? text.textPlaying : text.textPaused;
      ui.title.textContent = current.title;
      ui.artists.textContent = current.artists ? "— " + current.artists : "";
    }
    ui.toggleIcon.textContent = playing ? "❚❚" : "▶";
    ui.toggleLabel.textContent = playing ? text.textPause : current ? text.textPlay : text.textPlayAll;
    var songs = queue();
    controls.toggle.disabled = !songs.length;
    controls.previous.disabled = controls.next.disabled = songs.length < 2;
    bar.classList.toggle("is-playing", playing);
  }

  function showTime(position, length) {
    ui.time.textContent = clock(position);
    ui.duration.textContent = clock(length);
    ui.progress.max = length > 0 ? length : 1;
    ui.progress.value = length > 0 ? Math.min(position, length) : 0;
  }

  // --- the site's own audio ---

  audio.addEventListener("playing", function () { playing = true; say(""); render(); });
  audio.addEventListener("pause", function () { playing = false; render(); });
  audio.addEventListener("timeupdate", function () { showTime(audio.currentTime, audio.duration); });
  audio.addEventListener("loadedmetadata", function () { showTime(audio.currentTime, audio.duration); });
  audio.addEventListener("ended", function () { playing = false; step(1, true); });
  audio.addEventListener("error", function () {
    if (!current || current.kind !== "audio") return;
    var broken = current;
    broken.failed = true;
    sayOnCard(broken, text.textAudioError);
    say(text.textAudioError);
    playing = false;
    step(1, true, broken);
  });

  function playAudio(item) {
    var wanted = new URL(item.audioUrl, window.location.href).href;
    if (audio.src !== wanted) audio.src = wanted;
    var started = audio.play();
    if (started && started.catch) {
      started.catch(function (error) {
        if (error && error.name === "NotAllowedError") say(text.textBlocked);
        // Other failures also fire the element's "error" event, which says so and moves on.
      });
    }
  }

  // --- choosing what plays ---

  function play(item) {
    if (current && current !== item && current.kind === "sdk" && sdk.player) sdk.player.pause();
    if (item.kind !== "audio" && !audio.paused) audio.pause();
    current = item;
    ui.state.textContent = text.textLoading;
    ui.title.textContent = item.title;
    ui.artists.textContent = item.artists ? "— " + item.artists : "";
    showTime(0, 0);
    if (item.kind === "sdk") sdkPlay(item);
    else playAudio(item);
    render();
  }

  function toggle() {
    if (!current || !document.body.contains(current.node) || current.failed) {
      var songs = queue();
      if (songs.length) play(songs[0]);
      return;
    }
    if (current.kind === "sdk") {
      if (sdk.player) sdk.player.togglePlay();
    } else if (audio.paused) {
      playAudio(current);
    } else {
      audio.pause();
    }
  }

  // Move by `direction` from the current song (or from `from`, a song that just dropped out of the queue).
  function step(direction, automatic, from) {
    var songs = queue();
    if (!songs.length) { say(text.textNothing); render(); return; }
    var all = items;  // removed cards stay in `items`, so a song that just left still marks the place
    var start = all.indexOf(from || current);
    for (var i = start + direction; i >= 0 && i < all.length; i += direction) {
      if (songs.indexOf(all[i]) !== -1) { play(all[i]); return; }
    }
    if (automatic) { say(text.textEnded, true); render(); return; }
    play(direction > 0 ? songs[0] : songs[songs.length - 1]);
  }

  items.forEach(function (item) {
    if (item.link) {
      item.link.setAttribute("role", "button");
      item.link.addEventListener("click", function (event) {
        event.preventDefault();
        if (item.failed) return;
        if (item.kind === "embed") openEmbed(item);
        else if (item === current) toggle();
        else play(item);
      });
    }
    if (item.embedLink) item.embedLink.addEventListener("click", function (event) { event.preventDefault(); openEmbed(item); });
  });
  controls.toggle.addEventListener("click", toggle);
  controls.next.addEventListener("click", function () { step(1, false); });
  controls.previous.addEventListener("click", function () { step(-1, false); });

  // --- Spotify's embed player: loaded on request, only once Spotify's host answers ---

  function openEmbed(item) {
    if (item.node.querySelector("iframe")) return;
    var url = "https://open.spotify.com/embed/track/" + encodeURIComponent(item.spotifyId);
    sayOnCard(item, text.textEmbedLoading);
    reachable(url, 8000).then(function (ok) {
      if (!ok) { sayOnCard(item, text.textEmbedFailed); item.card.classList.add("cannot-play"); return; }
      var frame = document.createElement("iframe");
      frame.className = "embed";
      frame.src = url;
      frame.title = text.textEmbedTitle + ": " + item.title;
      frame.width = "100%";
      frame.height = "80";
      frame.allow = "encrypted-media";
      item.embedLink.hidden = true;
      sayOnCard(item, "");
      item.node.appendChild(frame);
    });
  }

  // True when the browser can reach `url`'s host at all (an opaque no-cors answer is enough), false when the
  // request fails (offline, host blocked) or takes longer than `timeout` ms.
  function reachable(url, timeout) {
    return new Promise(function (resolve) {
      var timer = setTimeout(function () { resolve(false); }, timeout);
      fetch(url, { mode: "no-cors", cache: "no-store", credentials: "omit" })
        .then(function () { clearTimeout(timer); resolve(true); })
        .catch(function () { clearTimeout(timer); resolve(false); });
    });
  }

  // --- Spotify's Web Playback SDK (Premium listeners) ---

  function sdkFailed() {
    if (sdk.failed) return;
    sdk.failed = true;
    sdk.ready = false;
    var wasPlaying = current && current.kind === "sdk";
    items.forEach(function (item) {
      if (item.kind !== "sdk") return;
      if (item.audioUrl) {
        item.kind = "audio";
        sayOnCard(item, "");
      } else {
        item.kind = "embed";  // its play button now opens Spotify's embed player on the card
        item.embedLink = item.link;
        sayOnCard(item, text.textSdkFailed);
      }
    });
    say(text.textSdkFailed);
    if (wasPlaying) { playing = false; current = null; }
    render();
  }

  function fetchToken() {
    return fetch(text.tokenUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error("no token"); return response.json(); })
      .then(function (body) { sdk.token = body.access_token; return sdk.token; });
  }

  function sdkPlay(item) {
    if (!sdk.ready) { say(text.textSdkConnecting); return; }
    (sdk.token ? Promise.resolve(sdk.token) : fetchToken()).then(function (token) {
      return fetch(text.apiUrl + "me/player/play?device_id=" + encodeURIComponent(sdk.deviceId), {
        method: "PUT",
        headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
        body: JSON.stringify({ uris: [item.uri] }),
      });
    }).then(function (response) {
      if (!response.ok) sdkFailed();
    }).catch(sdkFailed);
  }

  function sdkState(state) {
    if (!state || !current || current.kind !== "sdk") return;
    var track = state.track_window && state.track_window.current_track;
    var finished = state.paused && state.position === 0 && track && track.uri === current.uri &&
      (state.track_window.previous_tracks || []).some(function (previous) { return previous.uri === current.uri; });
    playing = !state.paused;
    showTime(state.position / 1000, state.duration / 1000);
    render();
    if (finished) step(1, true);
  }

  if (sdk.wanted && items.some(function (item) { return item.kind === "sdk"; })) {
    say(text.textSdkConnecting, true);
    var giveUp = setTimeout(sdkFailed, 10000);
    window.onSpotifyWebPlaybackSDKReady = function () {
      sdk.player = new window.Spotify.Player({
        name: text.playerName,
        getOAuthToken: function (callback) { fetchToken().then(callback).catch(sdkFailed); },
        volume: 0.8,
      });
      sdk.player.addListener("ready", function (event) {
        clearTimeout(giveUp);
        sdk.deviceId = event.device_id;
        sdk.ready = true;
        say(text.textIdle, true);
      });
      sdk.player.addListener("not_ready", function () { sdk.ready = false; });
      ["initialization_error", "authentication_error", "account_error"].forEach(function (name) {
        sdk.player.addListener(name, function () { clearTimeout(giveUp); sdkFailed(); });
      });
      sdk.player.addListener("playback_error", function () { if (current) sayOnCard(current, text.textSdkFailed); });
      sdk.player.addListener("player_state_changed", sdkState);
      sdk.player.connect().then(function (connected) { if (!connected) sdkFailed(); });
    };
    var script = document.createElement("script");
    script.src = "https://sdk.scdn.co/spotify-player.js";
    script.async = true;
    script.onerror = function () { clearTimeout(giveUp); sdkFailed(); };
    document.head.appendChild(script);
  } else {
    sdk.wanted = false;
    items.forEach(function (item) {  // no SDK for this listener: Spotify-only songs use the embed
      if (item.kind === "sdk" && item.audioUrl) item.kind = "audio";
      else if (item.kind === "sdk") { item.kind = "embed"; item.embedLink = item.link; }
    });
  }

  bar.hidden = false;
  if (!queue().length) say(text.textNothing);
  else if (!sdk.wanted) say(text.textIdle, true);
  render();

  // The page's own reactions script removes a disliked card: the player forgets it if it was playing.
  document.addEventListener("track:removed", function () {
    if (current && !document.body.contains(current.node)) {
      if (current.kind === "audio") audio.pause();
      else if (sdk.player) sdk.player.pause();
      step(1, true, current);
    }
    render();
  });
  window.todaysongPlayer = { audio: audio, queue: queue };
})();
