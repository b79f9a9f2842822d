/* Kiosk behaviour, plain JavaScript without a build step. Every page works without it (the
   keyboard keys are submit buttons, situation answers are links, the print button opens a print
   page); this script adds instant search results, printing without leaving the page, the idle
   reset and touch guards. */
(function () {
  "use strict";

  var body = document.body;
  var startUrl = body.getAttribute("data-start-url") || "/kiosk/";

  /* ---- Touch guards: no context menu, no pinch or multi-touch zoom, no drag of links. ---- */
  document.addEventListener("contextmenu", function (event) { event.preventDefault(); });
  document.addEventListener("dragstart", function (event) { event.preventDefault(); });
  document.addEventListener("gesturestart", function (event) { event.preventDefault(); });
  document.addEventListener("touchmove", function (event) {
    if (event.touches && event.touches.length > 1) event.preventDefault();
  }, { passive: false });

  /* ---- Toast ---- */
  var toast = document.getElementById("kiosk-toast");
  var toastTimer = null;
  function showToast(text, isError) {
    if (!toast) return;
    toast.textContent = text;
    toast.classList.toggle("is-error", Boolean(isError));
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, 6000);
  }

  /* ---- Search keyboard with instant suggestions ---- */
  var search = document.querySelector(".kiosk-search");
  var state = { query: "" };

  function initSearch() {
    var form = document.getElementById("kiosk-keyboard");
    var output = document.getElementById("kiosk-query");
    var list = document.getElementById("kiosk-results");
    var empty = document.getElementById("kiosk-empty");
    var suggestUrl = search.getAttribute("data-suggest-url");
    var guideUrl = search.getAttribute("data-guide-url");
    var backParam = search.getAttribute("data-back-param") || "back";
    var emptyText = search.getAttribute("data-empty-text") || "";
    var maxLength = 20;
    var timer = null;
    var sequence = 0;
    var controller = null;

    state.query = (output.textContent || "").trim().toLowerCase();

    function render(items, query) {
      list.textContent = "";
      // Which query the list answers, so a reader (or a test) can tell stale results apart.
      list.setAttribute("data-query", query || "");
      items.forEach(function (item) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.className = "result";
        // The guide's 返回结果 button leads back to this query's results.
        a.href = guideUrl.replace("__code__", encodeURIComponent(item.code)) + "?" + backParam + "=" +
          encodeURIComponent(startUrl + "?q=" + encodeURIComponent(query));
        var name = document.createElement("span");
        name.className = "result-name";
        name.textContent = item.name;
        var meta = document.createElement("span");
        meta.className = "result-meta";
        meta.textContent = item.section + " · " + item.code;
        a.appendChild(name);
        a.appendChild(meta);
        if (item.reason) {
          // Why this guide is suggested (e.g. 办理结果：营业执照), when not for its name.
          var reason = document.createElement("span");
          reason.className = "result-reason";
          reason.textContent = item.reason;
          a.appendChild(reason);
        }
        li.appendChild(a);
        list.appendChild(li);
      });
      var showEmpty = Boolean(query) && items.length === 0;
      empty.textContent = emptyText.replace("%s", (query || "").toUpperCase());
      empty.hidden = !showEmpty;
    }

    function fetchSuggestions() {
      var query = state.query;
      var mine = ++sequence;
      if (controller) controller.abort();
      if (!query) { render([], ""); return; }
      controller = typeof AbortController === "function" ? new AbortController() : null;
      fetch(suggestUrl + (suggestUrl.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
        credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (mine === sequence) render(data.suggestions || [], query); })
        .catch(function () { /* aborted or offline: keep what is shown */ });
    }

    function setQuery(query) {
      state.query = query.slice(0, maxLength);
      output.textContent = state.query.toUpperCase();
      // Keep the address in step so that reload and the idle check see the same query.
      var url = startUrl + (state.query ? "?q=" + encodeURIComponent(state.query) : "");
      if (window.history && history.replaceState) history.replaceState(null, "", url);
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 150);
    }

    form.addEventListener("click", function (event) {
      var key = event.target.closest("[data-key]");
      if (!key) return;
      event.preventDefault();
      var value = key.getAttribute("data-key");
      if (value === "backspace") setQuery(state.query.slice(0, -1));
      else if (value === "clear") setQuery("");
      else setQuery(state.query + value);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
  }

  /* ---- Printing ----
     The PDF sheet is fetched and shown from a blob: address in a frame, and that frame prints
     itself: Chromium started with --kiosk-printing sends it to the default printer without a
     dialog. A blob: frame is same-origin and carries no X-Frame-Options, so the sheet's own
     response headers cannot keep it out of the frame. */
  var printFrame = null;
  var printBlobUrl = null;

  function clearPrintFrame() {
    if (printFrame) { printFrame.remove(); printFrame = null; }
    if (printBlobUrl) { URL.revokeObjectURL(printBlobUrl); printBlobUrl = null; }
  }

  /* A sheet that is still being rendered answers 202 with Retry-After: ask again after that many
     seconds (1 to 10), for two minutes at most; onWaiting is called each time. */
  var PDF_WAIT_MS = 120000;

  function fetchPdf(pdfUrl, onWaiting) {
    var deadline = Date.now() + PDF_WAIT_MS;
    function attempt() {
      return fetch(pdfUrl, { credentials: "same-origin", headers: { Accept: "application/pdf" } })
        .then(function (response) {
          if (response.status === 202 && Date.now() < deadline) {
            if (onWaiting) onWaiting();
            var seconds = parseInt(response.headers.get("Retry-After"), 10);
            var delay = Math.min(Math.max(isNaN(seconds) ? 3 : seconds, 1), 10) * 1000;
            return new Promise(function (resolve) { setTimeout(resolve, delay); }).then(attempt);
          }
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("pdf") === -1) throw new Error("not a PDF: " + response.status);
          return response.blob();
        });
    }
    return attempt().then(function (blob) { return URL.createObjectURL(blob); });
  }

  function printInFrame(frame, pdfUrl) {
    frame.contentWindow.focus();
    frame.contentWindow.print();
    window.__kioskPrinted = pdfUrl;
  }

  function printPdf(pdfUrl, button) {
    clearPrintFrame();
    var done = function (ok) {
      if (!button) return;
      var text = button.getAttribute(ok ? "data-printing-text" : "data-print-error-text") || "";
      showToast(text, !ok);
    };
    var waiting = function () {
      if (button) showToast(button.getAttribute("data-preparing-text") || "", false);
    };
    fetchPdf(pdfUrl, waiting).then(function (blobUrl) {
      var frame = document.createElement("iframe");
      frame.setAttribute("aria-hidden", "true");
      frame.setAttribute("tabindex", "-1");
      // Not display:none: Chromium does not load a PDF into a frame that is not rendered.
      frame.className = "kiosk-print-frame";
      frame.addEventListener("load", function () {
        try { printInFrame(frame, pdfUrl); done(true); } catch (error) { done(false); }
      });
      printFrame = frame;
      printBlobUrl = blobUrl;
      frame.src = blobUrl;
      document.body.appendChild(frame);
    }).catch(function () { done(false); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kiosk-print]");
    if (!button) return;
    event.preventDefault();
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    setTimeout(function () { button.removeAttribute("aria-disabled"); }, 5000);
    printPdf(button.getAttribute("data-pdf"), button);
  });

  // The print page shows the sheet and prints it once it has loaded.
  var sheet = document.querySelector("iframe[data-autoprint]");
  if (sheet) {
    var sheetUrl = sheet.getAttribute("data-src");
    var failed = document.getElementById("kiosk-sheet-error");
    var preparing = document.getElementById("kiosk-sheet-preparing");
    fetchPdf(sheetUrl, function () { if (preparing) preparing.hidden = false; }).then(function (blobUrl) {
      if (preparing) preparing.hidden = true;
      sheet.addEventListener("load", function () {
        try { printInFrame(sheet, sheetUrl); } catch (error) { /* the viewer's print button remains */ }
      });
      sheet.src = blobUrl;
      sheet.hidden = false;
    }).catch(function () {
      if (preparing) preparing.hidden = true;
      if (failed) failed.hidden = false;
    });
  }

  /* ---- Idle reset ---- */
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds"), 10);
  if (!(idleSeconds > 0)) idleSeconds = 60;
  var warnSeconds = Math.min(10, Math.max(1, Math.floor(idleSeconds / 3)));
  var idleBox = document.getElementById("kiosk-idle");
  var idleText = body.getAttribute("data-idle-warning") || "%s";
  var lastActivity = Date.now();

  function activity() {
    lastActivity = Date.now();
    if (idleBox && !idleBox.hidden) idleBox.hidden = true;
  }
  ["pointerdown", "touchstart", "keydown", "wheel", "scroll"].forEach(function (name) {
    window.addEventListener(name, activity, { passive: true, capture: true });
  });

  function atCleanStart() {
    return window.location.pathname === startUrl && !window.location.search && !state.query;
  }

  function resetToStart() {
    // A fresh load of the start screen: no query, no situation answers, no scroll position, and
    // replace() keeps the abandoned page out of the history.
    clearPrintFrame();
    window.location.replace(startUrl);
  }

  setInterval(function () {
    if (atCleanStart()) { if (idleBox) idleBox.hidden = true; return; }
    var idle = (Date.now() - lastActivity) / 1000;
    var left = Math.ceil(idleSeconds - idle);
    if (left <= 0) {
      lastActivity = Date.now();
      resetToStart();
    } else if (left <= warnSeconds && idleBox) {
      idleBox.textContent = idleText.replace("%s", String(left));
      idleBox.hidden = false;
    }
  }, 250);

  if (search) initSearch();
  body.setAttribute("data-kiosk-ready", "true");
})();
