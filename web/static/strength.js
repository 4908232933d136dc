// Live strength meter for new-password fields. Without JavaScript the
// meter appears after the form is sent; with it, it follows typing.
(function () {
  'use strict';
  var input = document.querySelector('input[data-strength]');
  var box = document.getElementById('strength');
  if (!input || !box || !window.fetch) return;
  var bar = box.querySelector('.strength-bar');
  var label = box.querySelector('.strength-label');
  var list = box.querySelector('.strength-feedback');
  var timer = 0, seq = 0;

  function show(s) {
    box.hidden = false;
    bar.setAttribute('data-score', String(s.score));
    label.textContent = 'Strength: ' + s.label + (s.crack_time ? ' · time to guess: ' + s.crack_time : '');
    list.textContent = '';
    (s.feedback || []).forEach(function (text) {
      var li = document.createElement('li');
      li.textContent = text;
      list.appendChild(li);
    });
  }

  function check() {
    var mine = ++seq;
    if (!input.value) { box.hidden = true; return; }
    var body = new URLSearchParams();
    body.set('password', input.value);
    fetch('/password/strength', { method: 'POST', body: body, credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s && mine === seq) show(s); })
      .catch(function () {});
  }

  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
})();
