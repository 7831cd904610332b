// The rule editor's live preview: whenever the rule changes (and on the Preview button), the form is
// posted to the preview endpoint, which validates it and answers who would gain and lose. Nothing is
// saved and the page does not reload, so no error banner appears for a preview.
(function () {
  function start() {
    var box = document.getElementById("rule-preview");
    var form = document.getElementById("entitlementrule_form");
    if (!box || !form) return;
    var timer = null;
    var sequence = 0;

    function refresh() {
      var body = new FormData(form);
      body.set("rule_id", box.dataset.ruleId || "");
      var mine = ++sequence;
      fetch(box.dataset.previewUrl, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (mine !== sequence) return; // a newer preview is on its way
          if (answer.error) {
            box.innerHTML = "";
            var note = document.createElement("p");
            note.className = "console-muted";
            note.id = "rule-preview-note";
            note.textContent = "Preview: " + answer.error;
            box.appendChild(note);
          } else {
            box.innerHTML = answer.html;
          }
        })
        .catch(function () { /* the next change tries again */ });
    }

    function later() { clearTimeout(timer); timer = setTimeout(refresh, 400); }
    form.addEventListener("change", later);
    form.addEventListener("input", later);
    var button = document.getElementById("preview-button");
    if (button) button.addEventListener("click", function (event) { event.preventDefault(); refresh(); });
    if (box.dataset.ruleId) refresh();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
