// Password forms: a strength hint under the field while the member types. The server decides
// (length, list of common passwords); this only helps to choose before sending.
(function () {
  "use strict";
  var field = document.querySelector("[data-password-strength]");
  if (!field) {
    return;
  }
  var hint = document.getElementById(field.dataset.passwordStrength);
  var MIN = 12;
  var WEAK = /^(.)\1+$|azerty|qwerty|123456|motdepasse|password|soleil|bonjour|jetaime/i;
  var LABELS = ["Robustesse : trop faible", "Robustesse : moyenne", "Robustesse : bonne", "Robustesse : très bonne"];
  var CLASSES = ["text-danger", "text-warning-emphasis", "text-success", "text-success"];

  function level(value) {
    if (value.length < MIN || WEAK.test(value)) {
      return 0;
    }
    var pool = 0;
    if (/[a-z]/.test(value)) { pool += 26; }
    if (/[A-Z]/.test(value)) { pool += 26; }
    if (/\d/.test(value)) { pool += 10; }
    if (/[^a-zA-Z\d]/.test(value)) { pool += 33; }
    var bits = value.length * Math.log2(Math.max(pool, 2));
    return bits < 60 ? 1 : bits < 80 ? 2 : 3;
  }

  field.addEventListener("input", function () {
    var value = field.value;
    if (!value) {
      hint.hidden = true;
      return;
    }
    var n = level(value);
    hint.hidden = false;
    hint.className = "small " + CLASSES[n];
    hint.textContent = LABELS[n] + (value.length < MIN ? " (" + value.length + " / " + MIN + " caractères)" : "");
  });
})();
