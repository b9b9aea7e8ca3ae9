// Demo helper (not part of kelisim): writes a line into the demo panel, in the page's language.
window.demoLog = function (kk, ru) {
  var list = document.getElementById("demo-log");
  if (!list) return;
  var item = document.createElement("li");
  item.textContent = document.documentElement.lang === "ru" ? ru : kk;
  list.append(item);
  var empty = document.getElementById("demo-log-empty");
  if (empty) empty.hidden = true;
};
