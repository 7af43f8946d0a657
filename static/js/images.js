// A cover that cannot load (a dead link, no network, a blocked host) becomes the same coloured record the site
// draws for albums without art, instead of the browser's broken-image icon. Covers that already failed before
// this script ran are caught too.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function record(img) {
    var size = img.getAttribute("width") || 64;
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 64 64");
    svg.setAttribute("width", size);
    svg.setAttribute("height", img.getAttribute("height") || size);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", img.className + " art-placeholder cover-fallback");
    var hue = 0;
    for (var i = 0; i < img.src.length; i++) hue = (hue * 31 + img.src.charCodeAt(i)) % 360;
    svg.style.setProperty("--hue", String(hue));
    [["rect", { width: 64, height: 64, rx: 8, "class": "art-bg" }],
     ["circle", { cx: 32, cy: 32, r: 18, "class": "art-disc" }],
     ["circle", { cx: 32, cy: 32, r: 5, "class": "art-hole" }]].forEach(function (shape) {
      var node = document.createElementNS(SVG, shape[0]);
      Object.keys(shape[1]).forEach(function (name) { node.setAttribute(name, shape[1][name]); });
      svg.appendChild(node);
    });
    if (img.alt) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", img.alt); svg.removeAttribute("aria-hidden"); }
    img.replaceWith(svg);
  }

  function broken(img) { return img.complete && img.naturalWidth === 0 && img.getAttribute("src"); }

  document.addEventListener("error", function (event) {
    if (event.target && event.target.tagName === "IMG") record(event.target);
  }, true);
  Array.prototype.forEach.call(document.images, function (img) { if (broken(img)) record(img); });
})();
