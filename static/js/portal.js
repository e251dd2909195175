/* Progressive enhancements of the portal. Every page works without this file:
   it only adds conveniences (CSP: script-src 'self', so no inline handlers anywhere). */
(function () {
  "use strict";

  // Print buttons (the printable guide): hidden without JavaScript, since they need it.
  function setUpPrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  // Filter forms: leave unset filters out of the URL, so each combination has one clean address.
  // Runs in the capture phase, before htmx reads the form; the fields come back right after.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-drop-empty")) {
        return;
      }
      var emptied = [];
      Array.prototype.forEach.call(form.elements, function (element) {
        if (element.name && !element.disabled && element.value === "") {
          element.disabled = true;
          emptied.push(element);
        }
      });
      window.setTimeout(function () {
        emptied.forEach(function (element) {
          element.disabled = false;
        });
      }, 0);
    },
    true
  );

  // After htmx replaces the catalogue results, move focus to them so keyboard and
  // screen-reader users land on the new list rather than at the top of the page.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "matter-results") {
      var heading = target.querySelector(".result-count");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpPrintButtons);
  } else {
    setUpPrintButtons();
  }
})();
