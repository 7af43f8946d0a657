// Search-as-you-type for the taste wizard's first step. Without this script the search form still works
// (a GET that renders results on the server); with it, results appear while typing, as "Choose" buttons
// inside the wizard's POST form.
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
    placeholder.setAttribute("aria-hidden", "true");
    placeholder.textContent = "♪";
    return placeholder;
  }

  function render(data) {
    results.textContent = "";
    if (!data.query) return;
    if (!data.results.length) {
      results.appendChild(element("p", "", results.getAttribute("data-empty")));
      return;
    }
    var list = element("ul", "pick-list");
    data.results.forEach(function (track) {
      var item = element("li", "pick");
      item.appendChild(art(track));
      var text = element("span", "pick-text");
      text.appendChild(element("strong", "", track.name));
      text.appendChild(element("span", "muted", track.artists.join(", ") + (track.year ? " · " + track.year : "")));
      item.appendChild(text);
      var button = element("button", "", results.getAttribute("data-choose"));
      button.type = "submit";
      button.name = "add";
      button.value = String(track.id);
      button.setAttribute("aria-label", results.getAttribute("data-choose") + ": " + track.name);
      item.appendChild(button);
      list.appendChild(item);
    });
    results.appendChild(list);
  }

  function search() {
    var query = input.value.trim();
    if (query.length < 2) {
      render({ query: "", results: [] });
      return;
    }
    var ticket = ++latest;
    fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && ticket === latest) render(data); })
      .catch(function () { /* the Search button still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
