// Follows a job run live: polls its progress endpoint every second, moves the bar, and reloads the page
// once the run has finished so its full report (names, links) shows.
(function () {
  function follow() {
    var page = document.getElementById("run-page");
    if (!page || page.dataset.live !== "1") return;
    var url = page.dataset.progressUrl;
    var timer = setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (progress) {
          document.getElementById("run-bar").style.width = progress.percent + "%";
          document.getElementById("run-status").textContent = progress.status;
          document.getElementById("run-headline").textContent = progress.headline;
          document.getElementById("run-count").textContent =
            progress.processed + (progress.total !== null ? " of " + progress.total : "") + " " + progress.unit;
          if (progress.finished) { clearInterval(timer); window.location.reload(); }
        })
        .catch(function () { /* a missed poll is retried on the next tick */ });
    }, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", follow);
  else follow();
})();
