// Gatehouse pages: conveniences added when scripts run (progressive enhancement). Every
// page works without this file. Served from /assets/gatehouse.js (CSP script-src 'self').
// Texts come from data-* attributes the server wrote in the page's language.
(function () {
  'use strict';

  // Show-password toggles: a real button after each password input that asks for one,
  // pressed (aria-pressed) while the password is shown.
  document.querySelectorAll('input[data-reveal-label]').forEach(function (input) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'reveal';
    button.textContent = input.getAttribute('data-reveal-label');
    button.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-controls', input.id);
    button.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.setAttribute('aria-pressed', String(show));
    });
    input.insertAdjacentElement('afterend', button);
    // Hidden again before the form is sent, so the browser never keeps it as plain text.
    if (input.form) input.form.addEventListener('submit', function () { input.type = 'password'; });
  });

  // Copy buttons: copy the text of the element named by data-copy, and say so in the
  // live region named by data-copy-status. Without the Clipboard API they stay hidden.
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-copy-status'));
    if (!target || !status || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var text = 'value' in target ? target.value : target.textContent;
      navigator.clipboard.writeText(text).then(function () {
        status.textContent = button.getAttribute('data-copied');
      }, function () {
        status.textContent = button.getAttribute('data-copy-failed');
        if (target.select) target.select();
      });
    });
  });
})();
