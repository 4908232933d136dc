// The product's only script: it runs a WebAuthn ceremony (adding a
// security key, or signing in with one) when its form is submitted, puts
// the browser's answer in the form's "credential" field, and submits it.
(function () {
  "use strict";
  var el = document.getElementById("webauthn");
  if (!el) { return; }
  var form = document.getElementById(el.getAttribute("data-form"));
  var problem = document.getElementById("webauthn-error");
  function show(text) { problem.textContent = text; problem.hidden = false; }
  if (!window.PublicKeyCredential) {
    show("This browser cannot use security keys or passkeys. Choose another method.");
    return;
  }
  function bytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    return Uint8Array.from(atob(s), function (c) { return c.charCodeAt(0); });
  }
  function text(buf) {
    var s = "", b = new Uint8Array(buf);
    for (var i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function answer(cred) {
    var r = cred.response, out = { id: cred.id, rawId: text(cred.rawId), type: cred.type, response: { clientDataJSON: text(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = text(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = text(r.authenticatorData);
      out.response.signature = text(r.signature);
      if (r.userHandle) { out.response.userHandle = text(r.userHandle); }
    }
    return JSON.stringify(out);
  }
  form.addEventListener("submit", function (ev) {
    if (form.getAttribute("data-done")) { return; }
    ev.preventDefault();
    var options = JSON.parse(el.getAttribute("data-options")).publicKey;
    options.challenge = bytes(options.challenge);
    if (options.user) { options.user.id = bytes(options.user.id); }
    (options.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    (options.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    var ceremony = el.getAttribute("data-mode") === "create" ?
      navigator.credentials.create({ publicKey: options }) : navigator.credentials.get({ publicKey: options });
    ceremony.then(function (cred) {
      form.querySelector("input[name=credential]").value = answer(cred);
      form.setAttribute("data-done", "1");
      form.submit();
    }, function (err) {
      show("Your security key or passkey did not answer (" + err.name + "). Try again, or choose another method.");
    });
  });
}());
