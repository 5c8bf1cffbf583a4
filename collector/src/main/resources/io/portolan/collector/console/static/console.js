// The images list's checkboxes: "select all on this page", and how many are selected for the batch buttons.
(function () {
  function update() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll('#batch input[name=image]'));
    var n = boxes.filter(function (b) { return b.checked; }).length;
    var all = document.getElementById('pick-all');
    if (all) {
      all.checked = n > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
    var count = document.getElementById('selected-count');
    if (count) count.textContent = n === 0 ? 'none selected' : n + ' selected';
  }
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (t.id === 'pick-all') {
      document.querySelectorAll('#batch input[name=image]').forEach(function (b) { b.checked = t.checked; });
    }
    if (t.id === 'pick-all' || t.name === 'image') update();
  });
  document.addEventListener('htmx:afterSettle', update);
  document.addEventListener('DOMContentLoaded', update);
})();

// The schedule form shows the fields of the chosen recurrence and scope only; without script, all are shown.
(function () {
  function sync() {
    var type = document.getElementById('type');
    if (type) {
      document.querySelectorAll('[data-for]').forEach(function (el) {
        el.hidden = el.getAttribute('data-for').split(' ').indexOf(type.value) < 0;
      });
    }
    var scope = document.getElementById('scopeKind');
    if (scope) {
      document.querySelectorAll('[data-for-scope]').forEach(function (el) {
        el.hidden = el.getAttribute('data-for-scope').split(' ').indexOf(scope.value) < 0;
      });
    }
  }
  document.addEventListener('change', function (e) {
    if (e.target.id === 'type' || e.target.id === 'scopeKind') sync();
  });
  document.addEventListener('DOMContentLoaded', sync);
})();
