// QA review pages: keyboard shortcuts over plain forms and links. Everything also works without this file.
(function () {
  "use strict";

  var help = document.getElementById("shortcuts");
  var panels = Array.prototype.slice.call(document.querySelectorAll(".verdict-panel"));
  var toggles = Array.prototype.slice.call(document.querySelectorAll("[data-panel]"));

  // An adjudication option keeps the page's keys working once picked (the next key picks another one);
  // every other field keeps its keys, so a letter typed there never sends a verdict.
  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "input" && target.name === "label" && target.form && target.form.id === "adjudicate-form") return false;
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

  // One verdict panel open at a time; the first field takes the focus. A panel with nothing to fill in
  // (no error categories yet) gives it to its link or heading, so the keys keep working.
  function openPanel(panel) {
    panels.forEach(function (other) { showPanel(other, other === panel); });
    var first = panel.querySelector("select, input:not([type=hidden]), textarea") ||
      panel.querySelector("a[href]") || panel.querySelector("h3");
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
    form.addEventListener("submit", function (event) {
      window.setTimeout(function () {
        if (event.defaultPrevented) return;
        Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  });

  // Adjudication: options picked by key or through the filter; Enter saves only a label someone picked.
  var adjudication = document.getElementById("adjudicate-form");
  var filter = document.querySelector("[data-option-filter]");
  var chooseFirst = document.getElementById("choose-first");

  function options() {
    return Array.prototype.slice.call(adjudication.querySelectorAll("input[name=label]"));
  }

  function pick(option) {
    option.checked = option.type === "checkbox" ? !option.checked : true;
    option.focus();
    if (chooseFirst) chooseFirst.hidden = true;
  }

  function visibleOptions() {
    return options().filter(function (option) { return !option.closest("label").hidden; });
  }

  function applyFilter() {
    var query = filter.value.trim().toLowerCase();
    options().forEach(function (option) {
      var label = option.closest("label");
      var text = (label.textContent + " " + option.value).toLowerCase();
      label.hidden = query !== "" && text.indexOf(query) === -1;
    });
    var none = document.getElementById("no-option-match");
    if (none) none.hidden = visibleOptions().length > 0;
  }

  if (adjudication) {
    adjudication.noValidate = true;
    adjudication.addEventListener("submit", function (event) {
      if (!options().some(function (option) { return option.checked; })) {
        event.preventDefault();
        if (chooseFirst) chooseFirst.hidden = false;
        var first = visibleOptions()[0];
        if (first) first.focus();
        return;
      }
      if (!adjudication.checkValidity()) {
        event.preventDefault();
        adjudication.reportValidity();
      }
    });
  }

  if (filter) {
    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        // Never a save from the filter: the only match is picked, else the first match takes the focus.
        event.preventDefault();
        var shown = visibleOptions();
        if (shown.length === 1) pick(shown[0]);
        else if (shown.length) shown[0].focus();
      } else if (event.key === "Escape" && filter.value) {
        event.stopPropagation();
        filter.value = "";
        applyFilter();
      }
    });
  }

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
    if (adjudication && key === "/" && filter) {
      event.preventDefault();
      filter.focus();
      filter.select();
      return;
    }
    // Adjudication: an option's key (1–9, 0, then letters) picks it.
    if (adjudication && key.length === 1) {
      var option = adjudication.querySelector('input[name=label][data-key="' + key.toLowerCase() + '"]');
      if (option && !option.closest("label").hidden) {
        event.preventDefault();
        pick(option);
      }
    }
  });
})();
