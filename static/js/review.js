// QA review pages: keyboard shortcuts over plain forms and links. Everything also works without this file.
(function () {
  "use strict";

  var help = document.getElementById("shortcuts");
  var panels = Array.prototype.slice.call(document.querySelectorAll(".verdict-panel"));
  var toggles = Array.prototype.slice.call(document.querySelectorAll("[data-panel]"));

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function openHelp() {
    if (help && !help.open) help.showModal();
  }

  function showPanel(panel, shown) {
    panel.hidden = !shown;
    toggles.forEach(function (toggle) {
      if (toggle.dataset.panel === panel.id) toggle.setAttribute("aria-expanded", String(shown));
    });
  }

  // One verdict panel open at a time; the first field takes the focus.
  function openPanel(panel) {
    panels.forEach(function (other) { showPanel(other, other === panel); });
    var first = panel.querySelector("select, input:not([type=hidden]), textarea");
    if (first) first.focus();
    panel.scrollIntoView({ block: "nearest" });
  }

  function closePanels() {
    panels.forEach(function (panel) { showPanel(panel, false); });
  }

  // Panels fold away behind their buttons, unless the page reopened one to show an error.
  panels.forEach(function (panel) { showPanel(panel, panel.dataset.open === "true"); });
  toggles.forEach(function (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var panel = document.getElementById(toggle.dataset.panel);
      if (panel.hidden) openPanel(panel); else showPanel(panel, false);
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-shortcut-help]"), function (button) {
    button.addEventListener("click", openHelp);
  });

  // A verdict is sent once, even on a double press.
  Array.prototype.forEach.call(document.querySelectorAll("form[method=post]"), function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.key === "Escape") {
      closePanels();
      if (document.activeElement && typing(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (typing(event.target)) return;
    if (help && help.open) return;

    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      openHelp();
      return;
    }
    var target = document.querySelector('[data-shortcut="' + key + '"]');
    if (target) {
      event.preventDefault();
      if (target.dataset.panel) {
        openPanel(document.getElementById(target.dataset.panel));
      } else {
        target.click();
      }
      return;
    }
    var toggle = document.querySelector('details[data-toggle-key="' + key + '"]');
    if (toggle) {
      event.preventDefault();
      toggle.open = !toggle.open;
      return;
    }
    // Adjudication: 1–9 pick the option with that number.
    var form = document.getElementById("adjudicate-form");
    if (form && /^[1-9]$/.test(key)) {
      var option = form.querySelectorAll("input[name=label]")[Number(key) - 1];
      if (option) {
        event.preventDefault();
        option.checked = option.type === "checkbox" ? !option.checked : true;
        option.focus();
      }
    }
  });
})();
