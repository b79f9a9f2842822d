/* Progressive enhancement of the public pages; every page works without it.
   - Search boxes with data-suggest list matching guides as the reader types (ARIA combobox).
   - The read-aloud button (语音朗读) reads a guide with the browser's own speech synthesis.
   - Search filters in a <details> start open on wide screens (closed on phones). */
(function () {
  "use strict";

  /* --- suggestions ------------------------------------------------------------------------ */
  var MAX_SUGGESTIONS = 8;
  var DELAY_MS = 150;
  var boxes = 0;

  function setupSuggest(input) {
    boxes += 1;
    var listId = "suggestions-" + boxes;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.getAttribute("placeholder") || "");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.parentNode.appendChild(list);
    input.parentNode.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var timer = null;
    var asked = 0;
    var active = -1;

    function options() {
      return list.querySelectorAll("[role=option]");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = options();
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      for (var i = 0; i < items.length; i += 1) {
        items[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", items[active].id);
    }

    function show(suggestions) {
      list.textContent = "";
      suggestions.slice(0, MAX_SUGGESTIONS).forEach(function (suggestion, index) {
        var item = document.createElement("li");
        item.id = listId + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        var link = document.createElement("a");
        link.href = suggestion.url;
        link.tabIndex = -1;
        var name = document.createElement("strong");
        name.textContent = suggestion.name;
        link.appendChild(name);
        var detail = document.createElement("span");
        detail.textContent = suggestion.reason || suggestion.code || "";
        link.appendChild(detail);
        item.appendChild(link);
        list.appendChild(item);
      });
      var count = Math.min(suggestions.length, MAX_SUGGESTIONS);
      var template = input.getAttribute("data-suggest-status") || "{count}";
      status.textContent = count ? template.replace("{count}", String(count)) : "";
      if (count) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
    }

    function ask() {
      var query = input.value.trim();
      if (!query) { show([]); return; }
      var number = ++asked;
      var address = input.getAttribute("data-suggest");
      fetch(address + (address.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) {
          if (number === asked) { show(data.suggestions || []); }
        })
        .catch(function () { if (number === asked) { show([]); } });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Escape") {
        close();
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = options()[active].querySelector("a").href;
      }
    });
    input.addEventListener("blur", function () {
      // After a click on a suggestion has followed its link.
      window.setTimeout(close, 200);
    });
  }

  /* --- read aloud ------------------------------------------------------------------------- */
  var READ_BLOCKS = "h1, h2, h3, p, li, tr, caption, dl > div, summary";

  function readableBlocks(root) {
    var blocks = [];
    root.querySelectorAll(READ_BLOCKS).forEach(function (element) {
      if (element.closest("[aria-hidden=true], form, [hidden], .guide-actions")) { return; }
      var outer = element.parentElement && element.parentElement.closest(READ_BLOCKS);
      if (outer && root.contains(outer)) { return; }
      var text = (element.innerText || "").replace(/\s+/g, " ").trim();
      if (text) { blocks.push(text); }
    });
    return blocks;
  }

  function setupReadAloud(button) {
    if (!("speechSynthesis" in window) || typeof window.SpeechSynthesisUtterance !== "function") { return; }
    var root = document.querySelector(button.getAttribute("data-read-aloud"));
    if (!root) { return; }
    var startLabel = button.textContent;
    var stopLabel = button.getAttribute("data-label-stop") || startLabel;
    var reading = false;

    function finish() {
      reading = false;
      button.textContent = startLabel;
      button.setAttribute("aria-pressed", "false");
    }

    button.hidden = false;
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      window.speechSynthesis.cancel();
      if (reading) { finish(); return; }
      var blocks = readableBlocks(root);
      if (!blocks.length) { return; }
      reading = true;
      button.textContent = stopLabel;
      button.setAttribute("aria-pressed", "true");
      var elderly = document.documentElement.classList.contains("elderly");
      // One utterance per block: long utterances stop half-way in some browsers.
      blocks.forEach(function (text, index) {
        var utterance = new window.SpeechSynthesisUtterance(text);
        utterance.lang = "zh-CN";
        utterance.rate = elderly ? 0.85 : 1;
        if (index === blocks.length - 1) {
          utterance.onend = finish;
          utterance.onerror = finish;
        }
        window.speechSynthesis.speak(utterance);
      });
    });
    window.addEventListener("pagehide", function () { window.speechSynthesis.cancel(); });
  }

  /* --- filters open on wide screens -------------------------------------------------------- */
  function openWhenWide(details) {
    if (window.matchMedia && window.matchMedia("(min-width: 760px)").matches) { details.open = true; }
  }

  document.querySelectorAll("input[data-suggest]").forEach(setupSuggest);
  document.querySelectorAll("[data-read-aloud]").forEach(setupReadAloud);
  document.querySelectorAll("details[data-open-wide]").forEach(openWhenWide);
})();
