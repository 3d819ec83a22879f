/* The ORCID panel's Disconnect confirmation, kept out of the HTML so that a strict
   Content-Security-Policy (no inline script) works. The form is hidden in the HTML: without
   JavaScript the panel offers a link to a confirmation page instead (in <noscript>). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-orcid-confirm]");
  Array.prototype.forEach.call(forms, function (form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-orcid-confirm"))) {
        event.preventDefault();
      }
    });
  });
}());
