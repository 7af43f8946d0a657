// Spotify Web Playback SDK for Premium listeners: a player in this tab with play/pause/next/previous and what is
// playing. Loaded (with the SDK) only when the server found a Premium Spotify login; if the SDK cannot start,
// the embed players under each song are revealed instead.
(function () {
  "use strict";
  var box = document.getElementById("sdk-player");
  if (!box || !window.fetch) return;
  var data = box.dataset;
  var nowPlaying = box.querySelector(".now-playing");
  var controls = {};
  box.querySelectorAll("[data-action]").forEach(function (button) { controls[button.dataset.action] = button; });
  var playButtons = Array.prototype.slice.call(document.querySelectorAll("[data-play-uri]"));
  var uris = playButtons.map(function (button) { return button.dataset.playUri; });
  var token = null;
  var deviceId = null;
  var player = null;
  var started = false;

  function say(text) { if (nowPlaying) nowPlaying.textContent = text; }

  function fetchToken() {
    return fetch(data.tokenUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) throw new Error("no token"); return response.json(); })
      .then(function (body) { token = body.access_token; return token; });
  }

  function fallBack() {
    say(data.errorText);
    document.querySelectorAll("iframe[data-src]").forEach(function (frame) {
      frame.src = frame.dataset.src;
      frame.hidden = false;
    });
    playButtons.forEach(function (button) { button.hidden = true; });
    Object.keys(controls).forEach(function (name) { controls[name].disabled = true; });
  }

  function playFrom(index) {
    if (!deviceId || !uris.length) return;
    started = true;
    (token ? Promise.resolve(token) : fetchToken()).then(function (accessToken) {
      return fetch(data.apiUrl + "me/player/play?device_id=" + encodeURIComponent(deviceId), {
        method: "PUT",
        headers: { Authorization: "Bearer " + accessToken, "Content-Type": "application/json" },
        body: JSON.stringify({ uris: uris, offset: { position: index } }),
      });
    }).then(function (response) {
      if (!response.ok) say(data.errorText);
    }).catch(function () { say(data.errorText); });
  }

  function showState(state) {
    if (!state) return;
    var track = state.track_window && state.track_window.current_track;
    if (track) {
      var artists = track.artists.map(function (artist) { return artist.name; }).join(", ");
      say((state.paused ? data.pausedText : data.playingText) + ": " + track.name + " — " + artists);
      playButtons.forEach(function (button) {
        if (button.dataset.playUri === track.uri) button.setAttribute("aria-current", "true");
        else button.removeAttribute("aria-current");
      });
    }
    controls.toggle.textContent = state.paused ? data.playText : data.pauseText;
  }

  window.onSpotifyWebPlaybackSDKReady = function () {
    player = new window.Spotify.Player({
      name: data.playerName,
      getOAuthToken: function (callback) { fetchToken().then(callback).catch(fallBack); },
      volume: 0.8,
    });
    player.addListener("ready", function (event) {
      deviceId = event.device_id;
      say(data.readyText);
      Object.keys(controls).forEach(function (name) { controls[name].disabled = false; });
      playButtons.forEach(function (button) { button.disabled = false; });
    });
    player.addListener("not_ready", function () { deviceId = null; });
    ["initialization_error", "authentication_error", "account_error"].forEach(function (name) {
      player.addListener(name, fallBack);
    });
    player.addListener("playback_error", function () { say(data.errorText); });
    player.addListener("player_state_changed", showState);
    player.connect().then(function (connected) { if (!connected) fallBack(); });
  };

  playButtons.forEach(function (button, index) {
    button.addEventListener("click", function () { playFrom(index); });
  });
  controls.toggle.addEventListener("click", function () {
    if (!started) playFrom(0);
    else if (player) player.togglePlay();
  });
  controls.next.addEventListener("click", function () { if (player) player.nextTrack(); });
  controls.previous.addEventListener("click", function () { if (player) player.previousTrack(); });
})();
