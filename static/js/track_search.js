// Search-as-you-type for the taste wizard's first step. Without this script the search form still works
// (a GET that renders results on the server, and choosing a song comes back to the same results); with it,
// results appear while typing, and "Choose" / "Remove" update the favourites in place, so the results stay.
(function () {
  "use strict";
  var form = document.querySelector("form[data-search-url]");
  var input = document.getElementById("track-search");
  var results = document.getElementById("search-results");
  if (!form || !input || !results || !window.fetch) return;

  var url = form.getAttribute("data-search-url");
  var timer = null;
  var latest = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function art(track) {
    if (track.image_url) {
      var img = element("img", "art");
      img.src = track.image_url;
      img.alt = "";
      img.width = 56;
      img.height = 56;
      img.loading = "lazy";
      return img;
    }
    var placeholder = element("span", "art art-placeholder-js");
    placeholder.style.setProperty("--hue", String((track.id * 47) % 360));
    placeholder.setAttribute("aria-hidden", "true");
    placeholder.textContent = "♪";
    return placeholder;
  }

  function render(data) {
    results.textContent = "";
    if (!data.query) return;
    if (!data.results.length) {
      results.appendChild(element("p", "", results.getAttribute("data-empty").replace("%(query)s", data.query)));
      return;
    }
    var list = element("ul", "pick-list");
    data.results.forEach(function (track) {
      var item = element("li", "pick");
      item.appendChild(art(track));
      var text = element("span", "pick-text");
      text.appendChild(element("strong", "", track.name));
      var credit = track.artists.join(", ") + (track.album ? " · " + track.album : "") + (track.year ? " · " + track.year : "");
      text.appendChild(element("span", "muted", credit));
      item.appendChild(text);
      var button = element("button", "", results.getAttribute("data-choose"));
      button.type = "submit";
      button.name = "add";
      button.value = String(track.id);
      button.setAttribute("aria-label", results.getAttribute("data-choose") + ": " + track.name);
      item.appendChild(button);
      if (chosen.indexOf(track.id) !== -1) markChosen(button);
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  // Two letters, or one Hangul syllable or consonant (the server decides what one letter can find).
  function longEnough(query) { return query.length >= 2 || /[\u3131-\u318E\uAC00-\uD7A3]/.test(query); }

  function search() {
    var query = input.value.trim();
    if (!longEnough(query)) {
      render({ query: "", results: [] });
      if (query) results.appendChild(element("p", "muted", results.getAttribute("data-short")));
      return;
    }
    var ticket = ++latest;
    fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && ticket === latest) render(data); })
      .catch(function () { /* the Search button still works */ });
  }

  // --- choosing favourites without leaving the results ---
  var songForm = document.querySelector(".wizard-song-form");
  var favourites = document.getElementById("favourites");
  var chosen = Array.prototype.map.call(document.querySelectorAll("#favourites button[name=remove]"), function (b) {
    return Number(b.value);
  });

  function markChosen(button) {
    button.disabled = true;
    button.setAttribute("aria-pressed", "true");
    var item = button.closest(".pick, .suggestion");
    if (item) item.classList.add("is-chosen");
    if (button.closest(".pick")) button.textContent = results.getAttribute("data-chosen");
  }

  function unmarkAll(ids) {
    document.querySelectorAll(".wizard-song-form button[name=add]").forEach(function (button) {
      if (ids.indexOf(Number(button.value)) !== -1) { markChosen(button); return; }
      if (!button.disabled) return;
      button.disabled = false;
      button.removeAttribute("aria-pressed");
      var item = button.closest(".pick, .suggestion");
      if (item) item.classList.remove("is-chosen");
      if (button.closest(".pick")) button.textContent = results.getAttribute("data-choose");
    });
  }

  function announce(text, ok) {
    var note = document.getElementById("favourite-message");
    if (!note) {
      note = element("p", "", "");
      note.id = "favourite-message";
      note.setAttribute("role", "status");
      favourites.parentNode.insertBefore(note, favourites);
    }
    note.className = "message " + (ok ? "message-success" : "message-warning");
    note.textContent = text;
    note.hidden = !text;
  }

  if (songForm && favourites) {
    songForm.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || (button.name !== "add" && button.name !== "remove")) return;  // "Next" posts as usual
      event.preventDefault();
      var body = new FormData(songForm);
      body.append(button.name, button.value);
      button.disabled = true;
      fetch(songForm.action, {
        method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" },
      }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      }).then(function (data) {
        favourites.innerHTML = data.html;
        chosen = data.favourite_ids;
        unmarkAll(chosen);
        if (!data.ok && button.name === "add") button.disabled = false;
        announce(data.message, data.ok);
        var next = songForm.querySelector("button[name=next]");
        if (next) next.textContent = (chosen.length ? next.dataset.next : next.dataset.skip) + " →";
      }).catch(function () {
        button.disabled = false;
        var fallback = element("input");  // the plain form post still works
        fallback.type = "hidden";
        fallback.name = button.name;
        fallback.value = button.value;
        songForm.appendChild(fallback);
        songForm.submit();
      });
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
