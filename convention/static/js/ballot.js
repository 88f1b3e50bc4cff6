// The booth (templates/votes/booth.html): the confirmation shown in the page, without a round trip.
// « Continuer » shows the summary of the answers (the same as the server's confirmation page,
// votes/confirm.html: every option of every question, the chosen ones marked) with « Votre vote
// est définitif » and « Je confirme mon vote », which posts the same form with confirmed=1. The
// server checks everything again; an incomplete ballot goes to the server, which explains what
// is missing and keeps the answers. Without JavaScript the form goes to the server's
// confirmation page.
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  var panel = document.getElementById("confirmation");
  if (!form || !panel || !form.hasAttribute("data-confirm-in-page")) {
    return;
  }
  var questions = form.querySelector("[data-ballot-questions]");
  var summary = panel.querySelector("[data-summary]");
  var confirmed = form.querySelector("input[name=confirmed]");
  var words = panel.dataset;
  var sending = false;
  // The button pressed, recorded by its click: SubmitEvent.submitter is missing before Safari 15.4.
  var confirmPressed = false;
  var confirmButton = panel.querySelector("[data-ballot-confirm]");
  if (confirmButton) {
    confirmButton.addEventListener("click", function () { confirmPressed = true; });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function labelOf(input) {
    var label = form.querySelector("label[for='" + input.id + "']");
    return label ? label.textContent.trim() : "";
  }

  function markItem(chosen, label) {
    // <li class="answer-chosen"><span class="answer-mark" aria-hidden="true">☑</span> Pour<span class="visually-hidden"> : choisi</span></li>
    var li = el("li", chosen ? "answer-chosen" : "answer-other");
    var mark = el("span", "answer-mark", chosen ? "☑" : "☐");
    mark.setAttribute("aria-hidden", "true");
    li.appendChild(mark);
    li.appendChild(document.createTextNode(" " + label));
    li.appendChild(el("span", "visually-hidden", " : " + (chosen ? words.chosen : words.notChosen)));
    return li;
  }

  // One question's summary, or null when the answer is incomplete (the server then says why).
  function summarise(fieldset, number) {
    var method = fieldset.dataset.method;
    var name = "q" + fieldset.dataset.question;
    var section = el("section", "answer-summary");
    var heading = el("h3", "h6", fieldset.querySelector("legend").textContent.trim());
    heading.id = "resume-" + name;
    section.setAttribute("aria-labelledby", heading.id);
    section.appendChild(heading);
    var list = el("ul", "list-unstyled answer-list");
    section.appendChild(list);
    if (method === "yes_no_abstain" || method === "single" || method === "approval") {
      var inputs = fieldset.querySelectorAll("input[name='" + name + "']");
      var any = false;
      var blank = null;
      inputs.forEach(function (input) {
        if (input.value === "blank") { blank = input; return; }
        any = any || input.checked;
        list.appendChild(markItem(input.checked, labelOf(input)));
      });
      if (blank) {
        any = any || blank.checked;
        list.appendChild(markItem(blank.checked, words.blank));
      }
      if (!any && method !== "approval") { return null; }
    } else if (method === "majority_judgment") {
      var rows = fieldset.querySelectorAll(".grade-row");
      var graded = 0;
      var items = [];
      rows.forEach(function (row) {
        var checked = row.querySelector("input:checked");
        if (checked) { graded += 1; }
        items.push([row.querySelector("legend").textContent.trim(), checked ? labelOf(checked) : null]);
      });
      if (graded !== 0 && graded !== rows.length) { return null; }
      items.forEach(function (item) {
        var li = el("li", null, item[0] + " : ");
        li.appendChild(el("strong", null, graded ? item[1] : words.blankLower));
        list.appendChild(li);
      });
    } else if (method === "schulze") {
      var ranks = {};
      var unranked = [];
      var selects = fieldset.querySelectorAll("select");
      selects.forEach(function (select) {
        var option = Number(select.name.split("-o")[1]);
        var label = labelOf(select);
        if (select.value === "") {
          unranked.push([option, label]);
        } else {
          (ranks[select.value] = ranks[select.value] || []).push([option, label]);
        }
      });
      var order = Object.keys(ranks).map(Number).sort(function (a, b) { return a - b; });
      order.forEach(function (rank, index) {
        var group = ranks[rank].sort(function (a, b) { return a[0] - b[0]; });
        var li = el("li");
        var mark = el("span", "answer-mark", (index + 1) + ".");
        mark.setAttribute("aria-hidden", "true");
        li.appendChild(mark);
        li.appendChild(document.createTextNode(" " + group.map(function (o) { return o[1]; }).join(" = ")));
        list.appendChild(li);
      });
      unranked.forEach(function (o) {
        var li = el("li");
        var mark = el("span", "answer-mark", "—");
        mark.setAttribute("aria-hidden", "true");
        li.appendChild(mark);
        li.appendChild(document.createTextNode(" " + o[1] + " "));
        li.appendChild(el("span", "small text-muted-strong", "(" + words.unranked + ")"));
        list.appendChild(li);
      });
      if (!order.length) { list.appendChild(el("li", null, words.blank)); }
    } else {
      return null;
    }
    return section;
  }

  function show(confirming) {
    questions.hidden = confirming;
    panel.hidden = !confirming;
    var errors = document.getElementById("ballot-errors");
    if (errors && confirming) { errors.hidden = true; }  // the ballot is complete now
    // Back to the ballot: its first field (a fieldset cannot take the focus).
    (confirming ? panel : questions.querySelector("input, select") || form).focus();
    window.scrollTo(0, 0);
  }

  // Every post of the ballot has the same length whatever the answers: the field « pad » (ignored by
  // the server) fills the body up to the length of the longest ballot this form can send (every box
  // checked, the longest value of each group of radio buttons and of each list). Without it, the
  // length of the request (seen on the network, even encrypted, or in an access log) told the choice.
  var pad = form.querySelector("input[name=pad]");

  function bodyLength(pairs) {
    return new URLSearchParams(pairs).toString().length;
  }

  function longestOf(name, values) {
    var best = values[0];
    values.forEach(function (value) {
      if (bodyLength([[name, value]]) > bodyLength([[name, best]])) { best = value; }
    });
    return best;
  }

  function longestPairs() {
    var pairs = [];
    var radios = {};  // each group's values, by name
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled || field.type === "submit" || field.type === "button") { return; }
      if (field.type === "radio") {
        (radios[field.name] = radios[field.name] || []).push(field.value);
      } else if (field.tagName === "SELECT") {
        pairs.push([field.name, longestOf(field.name, Array.prototype.map.call(field.options, function (option) {
          return option.value;
        }))]);
      } else {  // a checkbox counts as checked; a hidden field as it is (the pad empty)
        pairs.push([field.name, field === pad ? "" : field.value]);
      }
    });
    Object.keys(radios).forEach(function (name) { pairs.push([name, longestOf(name, radios[name])]); });
    return pairs;
  }

  function padBody() {
    if (!pad) { return; }
    pad.value = "";
    try {
      var missing = bodyLength(longestPairs()) - bodyLength(new FormData(form));
      pad.value = missing > 0 ? new Array(missing + 1).join("x") : "";
    } catch (error) {  // a browser without URLSearchParams(FormData): the ballot goes unpadded
      pad.value = "";
    }
  }

  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    padBody();
    var submitter = event.submitter;
    var confirming = confirmPressed || (submitter && submitter.hasAttribute("data-ballot-confirm"));
    confirmPressed = false;
    if (confirming) {
      confirmed.value = "1";
      sending = true;
      if (confirmButton) { confirmButton.disabled = true; }
      return;  // the form goes: the ballot is cast
    }
    var sections = [];
    var fieldsets = questions.querySelectorAll("fieldset.ballot-question");
    for (var i = 0; i < fieldsets.length; i += 1) {
      var section = summarise(fieldsets[i], i + 1);
      if (!section) {
        confirmed.value = "";
        return;  // incomplete: the server's answer names what is missing
      }
      sections.push(section);
    }
    event.preventDefault();
    while (summary.firstChild) { summary.removeChild(summary.firstChild); }  // no replaceChildren before Safari 14
    sections.forEach(function (section) { summary.appendChild(section); });
    show(true);
  });

  panel.querySelector("[data-ballot-back]").addEventListener("click", function () {
    confirmed.value = "";
    show(false);
  });
}());
