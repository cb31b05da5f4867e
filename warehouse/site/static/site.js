/* fiscal-etl report site: charts from the page's data script, the cell viewer, search and filters.
   No fetch API: every datum arrives as a <script> file, so the site works from file:// as from any host. */
(function () {
  "use strict";

  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  /* ---------------------------------------------------------------- charts */
  function drawCharts() {
    var charts = window.FISCAL_CHARTS || {};
    all("[data-chart]").forEach(function (div) {
      var figure = charts[div.getAttribute("data-chart")];
      if (!figure || !window.Plotly) { return; }
      figure.layout.template = window.FISCAL_PLOTLY_TEMPLATE;
      window.Plotly.newPlot(div, figure.data, figure.layout, { displaylogo: false, responsive: true })
        .then(function () { div.setAttribute("data-drawn", "1"); });
    });
  }

  /* ---------------------------------------------------------------- cell viewer */
  function boxesOf(element) {
    return (element.getAttribute("data-bbox") || "").split(";").filter(Boolean).map(function (box) {
      return box.split(",").map(Number);
    });
  }

  function openCell(element) {
    var viewer = document.getElementById("viewer");
    if (!viewer) { return; }
    var doc = element.getAttribute("data-doc");
    var page = element.getAttribute("data-page");
    var info = (window.FISCAL_PAGES || {})[doc];
    var caption = document.getElementById("viewer-caption");
    var note = document.getElementById("viewer-note");
    var holder = document.getElementById("viewer-page");
    var image = document.getElementById("viewer-img");
    all(".outline", holder).forEach(function (old) { old.remove(); });
    all(".amt.active, .finding-row.active").forEach(function (old) { old.classList.remove("active"); });
    element.classList.add("active");
    viewer.hidden = false;
    document.body.classList.add("viewer-open");
    viewer.removeAttribute("data-ready");
    caption.textContent = (element.getAttribute("data-label") || element.textContent.trim()) + " · 第 " + page + " 页";
    if (!info || info.missing || !info.pages[page]) {
      note.textContent = info && info.missing
        ? "原始 PDF 已不在原始存储中：无页面图像。"
        : "该页没有页面图像。";
      note.hidden = false;
      holder.hidden = true;
      viewer.setAttribute("data-ready", "no-image");
      return;
    }
    note.hidden = true;
    holder.hidden = false;
    var size = info.pages[page];
    var boxes = boxesOf(element);
    var source = info.dir + "p" + page + ".png";
    function draw() {
      var first = null;
      boxes.forEach(function (box) {
        var outline = document.createElement("div");
        outline.className = "outline";
        outline.style.left = (100 * box[0] / size[0]) + "%";
        outline.style.top = (100 * box[1] / size[1]) + "%";
        outline.style.width = (100 * (box[2] - box[0]) / size[0]) + "%";
        outline.style.height = (100 * (box[3] - box[1]) / size[1]) + "%";
        outline.setAttribute("data-bbox", box.join(","));
        holder.appendChild(outline);
        first = first || outline;
      });
      if (first) { first.scrollIntoView({ block: "center", inline: "center" }); }
      viewer.setAttribute("data-ready", "1");
    }
    if (image.getAttribute("src") === source && image.complete && image.naturalWidth) {
      draw();
    } else {
      image.onload = draw;
      image.onerror = function () {
        note.textContent = "页面图像无法加载：" + source;
        note.hidden = false;
        viewer.setAttribute("data-ready", "error");
      };
      image.setAttribute("src", source);
    }
  }

  function wireViewer() {
    document.addEventListener("click", function (event) {
      var target = event.target.closest ? event.target.closest("[data-bbox][data-page]") : null;
      if (target && !target.classList.contains("outline")) {
        event.preventDefault();
        openCell(target);
        if (target.id) { history.replaceState(null, "", "#" + target.id); }
      }
    });
    var close = document.getElementById("viewer-close");
    if (close) {
      close.addEventListener("click", function () {
        document.getElementById("viewer").hidden = true;
        document.body.classList.remove("viewer-open");
      });
    }
    if (location.hash.length > 1) {
      var element = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (element && element.hasAttribute("data-bbox")) {
        element.scrollIntoView({ block: "center" });
        openCell(element);
      }
    }
  }

  /* ---------------------------------------------------------------- search and filters */
  function wireSearch() {
    var box = document.getElementById("search");
    if (!box) { return; }
    box.addEventListener("input", function () {
      var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      all("[data-search]").forEach(function (row) {
        var haystack = row.getAttribute("data-search").toLowerCase();
        var hit = words.every(function (w) { return haystack.indexOf(w) >= 0; });
        row.hidden = !hit;
        shown += hit ? 1 : 0;
      });
      var count = document.getElementById("search-count");
      if (count) { count.textContent = shown; }
    });
  }

  function wireFilters() {
    var controls = all("[data-filter]");
    if (!controls.length) { return; }
    function apply() {
      var shown = 0;
      all("tr.finding-row").forEach(function (row) {
        var hit = controls.every(function (control) {
          var value = control.value.trim().toLowerCase();
          if (!value) { return true; }
          var field = control.getAttribute("data-filter");
          var have = (field === "text" ? row.textContent : row.getAttribute("data-" + field) || "").toLowerCase();
          return field === "text" ? have.indexOf(value) >= 0 : have === value;
        });
        row.hidden = !hit;
        shown += hit ? 1 : 0;
      });
      var count = document.getElementById("filter-count");
      if (count) { count.textContent = shown; }
    }
    controls.forEach(function (control) {
      control.addEventListener("input", apply);
      control.addEventListener("change", apply);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    wireViewer();
    wireSearch();
    wireFilters();
  });
})();
