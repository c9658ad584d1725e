// Filters of the zoo catalogue's index: hide the rows that do not match the form's values.
// Plain DOM, no libraries and no requests, so the page works offline from file://. The
// filters live in the URL's fragment (#modality=CT&dims=3): a filtered view can be linked to,
// and each model page links its modality, task and dims back to the index that way.
(function () {
  "use strict";

  var form = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#models tr.model"));
  var count = document.getElementById("count");
  var noMatch = document.getElementById("no-match");
  var facets = ["modality", "task", "dims"];

  function state() {
    var s = { q: form.elements.q.value.trim().toLowerCase(), trained: form.elements.trained.checked };
    facets.forEach(function (name) { s[name] = form.elements[name].value; });
    return s;
  }

  function matches(row, s) {
    for (var i = 0; i < facets.length; i++) {
      var name = facets[i];
      if (s[name] && row.dataset[name] !== s[name]) { return false; }
    }
    if (s.trained && row.dataset.weights === "none") { return false; }
    return !s.q || row.dataset.search.indexOf(s.q) !== -1;
  }

  function writeHash(s) {
    var params = new URLSearchParams();
    facets.concat(["q"]).forEach(function (name) { if (s[name]) { params.set(name, s[name]); } });
    if (s.trained) { params.set("trained", "1"); }
    var hash = params.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (err) {
      // Some browsers refuse history changes on file:// pages; the filters still work.
    }
  }

  function apply(updateHash) {
    var s = state();
    var shown = 0;
    rows.forEach(function (row) {
      var visible = matches(row, s);
      row.hidden = !visible;
      if (visible) { shown++; }
    });
    noMatch.hidden = shown !== 0;
    count.textContent = shown === rows.length
      ? rows.length + " models"
      : shown + " of " + rows.length + " models";
    if (updateHash) { writeHash(s); }
  }

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    facets.forEach(function (name) {
      var select = form.elements[name];
      var value = params.get(name) || "";
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
      select.value = known ? value : "";
    });
    form.elements.q.value = params.get("q") || "";
    form.elements.trained.checked = params.get("trained") === "1";
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("input", function () { apply(true); });
  form.addEventListener("change", function () { apply(true); });
  form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
  window.addEventListener("hashchange", function () { readHash(); apply(false); });
  readHash();
  apply(false);
  document.documentElement.classList.add("js");
})();
