/* Sign the browser out of ORCID, then go to the authorize URL (ORCID best practice BP-2).
   ORCID asks for a script request (not an iframe) to /userStatus.json?logUserOut=true. The
   answer is cross-origin, so the request is "no-cors": we only wait for it to finish. */
(function () {
  "use strict";
  var box = document.getElementById("orcid-signout");
  if (!box) { return; }
  var signout = box.getAttribute("data-signout-url");
  var next = box.getAttribute("data-authorize-url");
  var done = false;
  function go() { if (!done) { done = true; window.location.assign(next); } }
  // Never leave the user stuck if ORCID is slow: continue after a few seconds anyway.
  window.setTimeout(go, 4000);
  if (window.fetch) {
    window.fetch(signout, { mode: "no-cors", credentials: "include", cache: "no-store" })
      .then(go, go);
  } else {
    var img = new Image();
    img.onload = go; img.onerror = go;
    img.src = signout;
  }
}());
