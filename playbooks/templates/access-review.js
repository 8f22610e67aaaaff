
(function () {
  'use strict';
  var input = document.getElementById('filter');
  var count = document.getElementById('filter-count');
  var tables = Array.prototype.slice.call(document.querySelectorAll('table.filterable'));
  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    tables.forEach(function (table) {
      var rows = table.tBodies[0].rows;
      var shown = 0;
      for (var i = 0; i < rows.length; i += 1) {
        var text = rows[i].textContent.toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        rows[i].hidden = !match;
        if (match) { shown += 1; }
      }
      table.hidden = shown === 0;
      table.nextElementSibling.hidden = shown !== 0;
      if (table.id === 'review') {
        count.textContent = words.length ? shown + ' of ' + rows.length + ' groups match' : '';
      }
    });
  }
  input.addEventListener('input', apply);
  document.getElementById('filter-bar').hidden = false;
  apply();
})();
