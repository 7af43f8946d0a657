// Like / Not for me / Undo without a page load (templates/recommendations/_reactions.html). The forms are plain
// posts that work without this script; with it, they are sent with fetch and the card changes in place: a like
// toggles, a disliked song leaves the list with an "Undo" line in its place. Any failure falls back to the post.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;

  function send(form, kind) {
    var body = new FormData(form);
    if (kind) body.set("kind", kind);
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function showLike(form, liked) {
    var button = form.querySelector("button");
    form.querySelector("input[name=kind]").value = liked ? "clear" : "like";
    button.setAttribute("aria-pressed", liked ? "true" : "false");
    var icon = button.querySelector(".react-icon");
    var label = button.querySelector(".react-label");
    if (icon) icon.textContent = liked ? "♥" : "♡";
    if (label) label.textContent = liked ? button.dataset.labelLiked : button.dataset.labelLike;
  }

  function removeCard(form) {
    var card = form.closest("li");
    var button = form.querySelector("button");
    if (!card) return;
    var note = document.createElement("li");
    note.className = "message undo reaction-undo";
    note.setAttribute("role", "status");
    note.appendChild(document.createTextNode(button.dataset.gone + " "));
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "link-button";
    undo.textContent = button.dataset.undo;
    note.appendChild(undo);
    card.replaceWith(note);
    document.dispatchEvent(new CustomEvent("track:removed"));
    undo.addEventListener("click", function () {
      undo.disabled = true;
      send(form, "clear").then(function () {
        note.replaceWith(card);
        showLike(card.querySelector("form[data-reaction]"), false);
        card.querySelector("button.react.dislike").disabled = false;
        document.dispatchEvent(new CustomEvent("track:restored"));
      }).catch(function () { undo.disabled = false; });
    });
    undo.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-reaction]")) return;
    event.preventDefault();
    var button = form.querySelector("button");
    var kind = form.querySelector("input[name=kind]").value;
    button.disabled = true;
    send(form).then(function () {
      button.disabled = false;
      if (kind === "dislike") removeCard(form);
      else if (form.closest(".liked-song") && kind === "clear") form.closest(".liked-song").remove();
      else showLike(form, kind === "like");
    }).catch(function () {
      button.disabled = false;
      form.removeAttribute("data-reaction");
      form.submit();  // the plain post still works
    });
  });
})();
