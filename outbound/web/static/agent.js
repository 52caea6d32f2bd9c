// The agent's pages: a refused form (409) shows its reason in place, a card opened in its line
// closes again, the keys 1…9 and 0 record an outcome of the card in hand, and a dial link
// clicked is recorded. A static file: the pages allow no inline script.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close]");
    var line = close && close.closest("details.line");
    if (line) {
      line.open = false;
      line.querySelector("summary").focus();
    }
  });

  // A dial link clicked starts the item's handling time: the page says so to the server, with
  // the session's CSRF token, in a request that outlives the page if the dialler replaces it.
  document.addEventListener("click", function (event) {
    var dial = event.target.closest("a.phone[data-opened]");
    if (!dial) {
      return;
    }
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    fetch(dial.getAttribute("data-opened"), {
      method: "POST",
      keepalive: true,
      credentials: "same-origin",
      headers: {"X-CSRF-Token": headers["X-CSRF-Token"] || ""}
    });
  });

  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  // The card the keys act on: the one holding the focus (or whose line does), else the only
  // one in sight with an outcome form.
  function cardInHand() {
    var focus = document.activeElement;
    var held = focus && focus.closest && (focus.closest("article.item") ||
      (focus.closest("details.line[open]") || document.createElement("i")).querySelector("article.item"));
    if (held) {
      return held;
    }
    var open = Array.prototype.filter.call(document.querySelectorAll("article.item"), function (card) {
      return card.offsetParent !== null && card.querySelector("form.outcome");
    });
    return open.length === 1 ? open[0] : null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    if (typing(event.target) || !/^[0-9]$/.test(event.key)) {
      return;
    }
    var card = cardInHand();
    var button = card && card.querySelector('button[data-key="' + event.key + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });
})();
