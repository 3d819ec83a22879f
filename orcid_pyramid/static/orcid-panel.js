/* The ORCID panel's Disconnect confirmation, kept out of the HTML so that a strict
   Content-Security-Policy (no inline script) works. Without JavaScript the form carries a
   required "Yes, disconnect" box instead (in <noscript>). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-orcid-confirm]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-orcid-confirm"))) {
        event.preventDefault();
      }
    });
  });
}());
