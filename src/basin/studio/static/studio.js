// basin studio: the little the pages need beyond htmx (no inline scripts: the CSP forbids them).
(function () {
  "use strict";

  // Each slider shows its value; with exactly two traffic sliders, moving one moves the other
  // so that they keep adding up to 100%.
  function showValue(input) {
    var out = document.getElementById(input.id + "-value");
    if (out) out.textContent = input.value + "%";
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "range") return;
    showValue(input);
    if (input.dataset.slider !== "traffic") return;
    var group = input.form ? input.form.querySelectorAll('input[data-slider="traffic"]') : [];
    if (group.length === 2) {
      var other = group[0] === input ? group[1] : group[0];
      other.value = String(100 - Number(input.value));
      showValue(other);
    }
  });

  // The sign-in form shows the fields of the chosen method only.
  function signinFields() {
    var chosen = document.querySelector('input[name="method"]:checked');
    document.querySelectorAll("[data-method]").forEach(function (block) {
      var on = chosen && block.dataset.method === chosen.value;
      block.hidden = !on;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.name === "method") signinFields();
  });

  // Followed logs stay scrolled to their newest line.
  function scrollLogs() {
    var panel = document.getElementById("logs-panel");
    if (panel && panel.dataset.follow === "1") {
      var pre = document.getElementById("logs");
      if (pre) pre.scrollTop = pre.scrollHeight;
    }
    var build = document.getElementById("build-log");
    if (build && document.getElementById("build").hasAttribute("hx-get")) {
      build.scrollTop = build.scrollHeight;
    }
  }
  document.addEventListener("htmx:afterSettle", scrollLogs);
  document.addEventListener("DOMContentLoaded", function () {
    signinFields();
    scrollLogs();
  });
})();
