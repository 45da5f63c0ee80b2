// Passkeys in the reviewer console (docs/design.md#account-keys-and-passkeys). Reporter pages run no script.
// Each button with data-passkey="register|sign-in|unlock" sits in a form whose data-options names where to get the
// WebAuthn options; the script runs the ceremony, puts the response (and the PRF output, when the authenticator
// gives one) in the form's hidden fields, and submits the form as usual. Nothing is kept in the browser.
"use strict";
(() => {
  const enc = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const dec = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(raw, (ch) => ch.charCodeAt(0)).buffer;
  };

  function creationOptions(o) {
    o.challenge = dec(o.challenge);
    o.user.id = dec(o.user.id);
    o.excludeCredentials = (o.excludeCredentials || []).map((c) => ({ ...c, id: dec(c.id) }));
    if (o.extensions && o.extensions.prf && o.extensions.prf.eval) {
      o.extensions.prf.eval.first = dec(o.extensions.prf.eval.first);
    }
    return o;
  }

  function requestOptions(o) {
    o.challenge = dec(o.challenge);
    o.allowCredentials = (o.allowCredentials || []).map((c) => ({ ...c, id: dec(c.id) }));
    const byCredential = o.extensions && o.extensions.prf && o.extensions.prf.evalByCredential;
    if (byCredential) {
      for (const id of Object.keys(byCredential)) {
        byCredential[id] = { first: dec(byCredential[id].first) };
      }
      if (Object.keys(byCredential).length === 0) delete o.extensions.prf;
    }
    return o;
  }

  // The response as the server reads it (WebAuthn Level 3 JSON), without the extension results: the PRF output
  // travels in its own field.
  function responseJSON(credential) {
    const r = credential.response;
    const response = { clientDataJSON: enc(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = enc(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = enc(r.authenticatorData);
      response.signature = enc(r.signature);
      if (r.userHandle) response.userHandle = enc(r.userHandle);
    }
    return JSON.stringify({ id: credential.id, rawId: enc(credential.rawId), type: credential.type,
      response, clientExtensionResults: {}, authenticatorAttachment: credential.authenticatorAttachment });
  }

  function prfOutput(credential) {
    const results = credential.getClientExtensionResults();
    return results.prf && results.prf.results && results.prf.results.first;
  }

  async function options(form, extra) {
    const body = new URLSearchParams();
    for (const name of ["csrf_token", "form_token", "email"]) {
      const field = form.elements.namedItem(name) || document.getElementById(name);
      if (field) body.set(name, field.value);
    }
    for (const [name, value] of Object.entries(extra || {})) body.set(name, value);
    const answer = await fetch(form.dataset.options, { method: "POST", body, credentials: "same-origin" });
    if (!answer.ok) throw new Error("options " + answer.status);
    return answer.json();
  }

  async function register(form) {
    const o = await options(form);
    const salt = o.extensions && o.extensions.prf && o.extensions.prf.eval && o.extensions.prf.eval.first;
    const credential = await navigator.credentials.create({ publicKey: creationOptions(o) });
    let output = prfOutput(credential);
    const prf = credential.getClientExtensionResults().prf;
    if (!output && prf && prf.enabled && salt) {
      // Some authenticators evaluate PRF only when asked for an assertion: ask once, for this credential.
      const assertion = await navigator.credentials.get({ publicKey: {
        challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: o.rp.id, userVerification: "required",
        allowCredentials: [{ type: "public-key", id: credential.rawId }],
        extensions: { prf: { eval: { first: dec(salt) } } } } });
      output = prfOutput(assertion);
    }
    form.elements.namedItem("passkey_response").value = responseJSON(credential);
    form.elements.namedItem("passkey_prf").value = output ? enc(output) : "";
  }

  async function assert(form) {
    const o = await options(form);
    const assertion = await navigator.credentials.get({ publicKey: requestOptions(o) });
    const output = prfOutput(assertion);
    form.elements.namedItem("passkey_response").value = responseJSON(assertion);
    form.elements.namedItem("passkey_prf").value = output ? enc(output) : "";
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-passkey]");
    if (!button) return;
    event.preventDefault();
    const form = button.form;
    const problem = form.querySelector(".passkey-problem");
    if (problem) problem.hidden = true;
    if (!window.PublicKeyCredential) {
      if (problem) { problem.textContent = button.dataset.unsupported || "This browser cannot use passkeys."; problem.hidden = false; }
      return;
    }
    button.disabled = true;
    try {
      if (button.dataset.passkey === "register") await register(form);
      else await assert(form);
      form.submit();
    } catch (error) {
      if (problem) {
        problem.textContent = button.dataset.failed || "The passkey was not used. Try again.";
        problem.hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  });
})();
