/* The network map: reads the view from the URL, asks /api/v1/map, lays out with ForceAtlas2
   and draws with sigma.js. The URL always holds the whole view, so a view can be shared. */
(function () {
  "use strict";
  var form = document.getElementById("kaart-filters");
  var box = document.getElementById("kaart");
  var status = document.getElementById("kaart-status");
  var legend = document.getElementById("kaart-legenda");
  var detail = document.getElementById("kaart-detail");
  var domainNames = {};
  JSON.parse(document.getElementById("kaart-domeinen").textContent).forEach(function (d) {
    domainNames[d.id] = d.name;
  });
  // Page parameter -> API parameter. Colour, size and search only change the drawing.
  var API = { thema: "theme", plaats: "region", domein: "domain", rol: "role", ego: "ego",
              diepte: "depth", organisaties: "organisations", geen_ontmoet: "met_at" };
  var FLAGS = { organisaties: "true", geen_ontmoet: "false" };  // a ticked box says this
  var DOMAIN_COLOURS = {
    onderwijs: "#1f5fa8", zorg: "#c0392b", jeugdhulp: "#2e8b3a", kinderopvang: "#e67e22",
    "gemeente-overheid": "#7d3c98", "ouders-jongeren": "#8d6e63", wetenschap: "#d81b83",
    "sport-cultuur": "#00897b", onbekend: "#7f7f7f"
  };
  var GROUP_COLOURS = ["#1f5fa8", "#c0392b", "#2e8b3a", "#e67e22", "#7d3c98", "#00897b",
                       "#d81b83", "#6d4c41", "#3949ab", "#9e9d24", "#00acc1", "#f4511e"];
  var renderer = null, graph = null, data = null, selected = null, matches = null;

  function params() {
    var out = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      var isDefault = (key === "diepte" && !form.ego.value) || (key === "kleur" && value === "domein") ||
        (key === "grootte" && value === "degree");
      if (value !== "" && !isDefault) { out.set(key, value); }
    });
    return out;
  }

  function apiQuery(p) {
    var out = new URLSearchParams();
    p.forEach(function (value, key) {
      if (API[key]) { out.set(API[key], FLAGS[key] || value); }
    });
    return out;
  }

  // A stable position from the id, so the same view always starts (and ends) the same.
  function hash(text, salt) {
    var h = 2166136261 ^ salt;
    for (var i = 0; i < text.length; i++) { h = Math.imul(h ^ text.charCodeAt(i), 16777619); }
    return ((h >>> 0) % 100000) / 100000;
  }

  function colourOf(node) {
    if (form.kleur.value === "groep") {
      return node.community !== null && node.community < GROUP_COLOURS.length
        ? GROUP_COLOURS[node.community] : "#9e9e9e";
    }
    return DOMAIN_COLOURS[node.domain] || DOMAIN_COLOURS.onbekend;
  }

  function sizeOf(node, max) {
    var value = node[form.grootte.value] || 0;
    return 2 + 9 * Math.sqrt(max > 0 ? value / max : 0);
  }

  function restyle() {
    if (!graph) { return; }
    var metric = form.grootte.value, max = 0;
    data.nodes.forEach(function (n) { max = Math.max(max, n[metric] || 0); });
    data.nodes.forEach(function (n) {
      graph.mergeNodeAttributes(n.id, { color: colourOf(n), size: sizeOf(n, max) });
    });
    var needle = form.zoek.value.trim().toLowerCase();
    matches = needle ? new Set(data.nodes.filter(function (n) {
      return n.name.toLowerCase().indexOf(needle) >= 0;
    }).map(function (n) { return n.id; })) : null;
    drawLegend();
    if (renderer) { renderer.refresh(); }
    if (matches && matches.size && renderer) {
      var first = renderer.getNodeDisplayData(matches.values().next().value);
      if (first) { renderer.getCamera().animate({ x: first.x, y: first.y, ratio: 0.5 }); }
    }
    box.dataset.matches = matches ? String(matches.size) : "";
  }

  function drawLegend() {
    legend.innerHTML = "";
    var seen = {};
    data.nodes.forEach(function (n) { seen[form.kleur.value === "groep" ? n.community : n.domain] = true; });
    var keys = Object.keys(seen);
    if (form.kleur.value === "groep") {
      keys = keys.map(Number).sort(function (a, b) { return a - b; }).slice(0, GROUP_COLOURS.length);
    } else {
      keys.sort();
    }
    keys.forEach(function (key) {
      var li = document.createElement("li");
      var dot = document.createElement("span");
      dot.className = "dot";
      dot.style.background = form.kleur.value === "groep" ? GROUP_COLOURS[key]
        : (DOMAIN_COLOURS[key] || DOMAIN_COLOURS.onbekend);
      li.appendChild(dot);
      li.appendChild(document.createTextNode(form.kleur.value === "groep"
        ? "groep " + (Number(key) + 1) : (domainNames[key] || key)));
      legend.appendChild(li);
    });
    if (form.kleur.value === "groep" && data.communities > GROUP_COLOURS.length) {
      var more = document.createElement("li");
      more.textContent = "grijs: " + (data.communities - GROUP_COLOURS.length) + " kleinere groepen";
      legend.appendChild(more);
    }
  }

  function showDetail(id) {
    var n = data.nodes.find(function (x) { return x.id === id; });
    if (!n) { detail.hidden = true; return; }
    selected = n;
    document.getElementById("detail-naam").textContent = n.name;
    var facts = [["Domein", domainNames[n.domain] || n.domain], ["Gemeente", n.gemeente || "–"],
                 ["Contacten", n.degree], ["Tussenpositie", n.betweenness.toFixed(4)],
                 ["Makelaarsrollen", n.brokerage], ["Groep", n.community === null ? "–" : n.community + 1]];
    if (n.articulation_point) { facts.push(["Scharnier", "zonder deze persoon valt het netwerk uiteen"]); }
    var dl = document.getElementById("detail-feiten");
    dl.innerHTML = "";
    facts.forEach(function (f) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = f[0]; dd.textContent = String(f[1]);
      dl.appendChild(dt); dl.appendChild(dd);
    });
    var link = document.getElementById("detail-link");
    link.hidden = n.kind !== "lid";
    link.href = "/leden/" + encodeURIComponent(n.id);
    document.getElementById("detail-focus").hidden = n.kind !== "lid";
    detail.hidden = false;
  }

  function draw() {
    graph = new graphology.Graph({ type: "undirected" });
    data.nodes.forEach(function (n) {
      graph.addNode(n.id, { label: n.name, x: hash(n.id, 1), y: hash(n.id, 2), size: 4,
                            color: "#999" });
    });
    data.edges.forEach(function (e) {
      if (!graph.hasEdge(e.source, e.target)) {
        // a weak "ontmoet bij" tie: blue and thin; sigma draws no dashes, the legend says so
        graph.addEdge(e.source, e.target, { color: e.bridge ? "#f0a000" : e.weak ? "#7fa7d9" : "#c8c8c8",
                                            size: e.bridge ? 1.5 : 0.6, weak: !!e.weak });
      }
    });
    var fa2 = graphologyLibrary.layoutForceAtlas2;
    var settings = fa2.inferSettings(graph);
    settings.barnesHutOptimize = graph.order > 400;
    fa2.assign(graph, { iterations: graph.order > 1000 ? 80 : 150, settings: settings });
    if (renderer) { renderer.kill(); }
    renderer = new Sigma(graph, box, {
      labelRenderedSizeThreshold: 9,
      nodeReducer: function (node, attrs) {
        if (matches && !matches.has(node)) { return Object.assign({}, attrs, { color: "#e4e4e4", label: "" }); }
        if (matches) { return Object.assign({}, attrs, { highlighted: true, forceLabel: true }); }
        return attrs;
      }
    });
    renderer.on("clickNode", function (event) { showDetail(event.node); });
    window.schakelKaart = { graph: graph, renderer: renderer };
    restyle();
  }

  function clear() {
    if (renderer) { renderer.kill(); renderer = null; }
    graph = null;
    legend.innerHTML = "";
    box.dataset.nodes = "0";
    box.dataset.edges = "0";
  }

  function syncUrl(push) {
    var p = params();
    var url = "/kaart" + (p.toString() ? "?" + p.toString() : "");
    if (push) { history.pushState(null, "", url); } else { history.replaceState(null, "", url); }
    var api = apiQuery(p).toString();
    ["gexf", "graphml", "json"].forEach(function (fmt) {
      document.getElementById("export-" + fmt).href = "/api/v1/export?format=" + fmt + (api ? "&" + api : "");
    });
    document.getElementById("export-pseudo").href = "/api/v1/export?format=gexf&pseudonymise=true" + (api ? "&" + api : "");
    var focus = document.getElementById("kaart-focus");
    focus.hidden = !form.ego.value;
  }

  function load(push) {
    syncUrl(push);
    box.dataset.state = "laden";
    status.textContent = "De kaart wordt geladen …";
    detail.hidden = true;
    var query = apiQuery(params()).toString();
    return fetch("/api/v1/map" + (query ? "?" + query : ""), { headers: { Accept: "application/json" } })
      .then(function (resp) {
        return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) {
          clear();
          var detailText = Array.isArray(result.body.detail)
            ? result.body.detail.map(function (d) { return d.msg; }).join(" ") : String(result.body.detail);
          status.textContent = "Dat lukt niet: " + detailText;
          box.dataset.state = "fout";
          return;
        }
        data = result.body;
        if (!data.shown) {
          clear();
          status.textContent = data.message;
          box.dataset.state = "te-groot";
          return;
        }
        if (!data.nodes.length) {
          clear();
          status.textContent = data.message || "Geen leden gevonden bij deze keuze.";
          box.dataset.state = "klaar";
          return;
        }
        draw();
        var ego = form.ego.value && data.nodes.find(function (n) { return n.id === form.ego.value; });
        document.getElementById("kaart-focus-naam").textContent = ego ? ego.name : form.ego.value;
        status.textContent = data.count + " knopen, " + data.edge_count + " verbindingen, " +
          data.communities + " groepen. Tussenpositie: " +
          (data.method.betweenness === "exact" ? "exact berekend" : "geschat (" + data.method.betweenness + ")") + ". " +
          ageLine(data.computed_at, data.stale);
        box.dataset.nodes = String(graph.order);
        box.dataset.edges = String(graph.size);
        box.dataset.state = "klaar";
      })
      .catch(function (err) {
        clear();
        status.textContent = "De kaart kon niet laden: " + err;
        box.dataset.state = "fout";
      });
  }

  // "Berekend om 10:42 (3 minuten geleden); wordt bijgewerkt." — the metrics come from the
  // last background computation (see service/networks.py).
  function ageLine(computedAt, stale) {
    if (!computedAt) { return ""; }
    var at = new Date(computedAt);
    var minutes = Math.floor((Date.now() - at.getTime()) / 60000);
    var ago = minutes < 1 ? "zojuist" : minutes === 1 ? "1 minuut geleden" : minutes + " minuten geleden";
    var hhmm = ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
    return "Berekend om " + hhmm + " (" + ago + ")" + (stale ? "; wordt bijgewerkt." : ".");
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); load(true); });
  ["thema", "domein", "rol", "diepte", "organisaties", "geen_ontmoet"].forEach(function (name) {
    form[name].addEventListener("change", function () { load(true); });
  });
  form.plaats.addEventListener("change", function () { load(true); });
  ["kleur", "grootte"].forEach(function (name) {
    form[name].addEventListener("change", function () { syncUrl(false); restyle(); });
  });
  form.zoek.addEventListener("input", function () { syncUrl(false); restyle(); });
  document.getElementById("detail-focus").addEventListener("click", function () {
    if (selected) { form.ego.value = selected.id; load(true); }
  });
  document.getElementById("kaart-focus-wis").addEventListener("click", function () {
    form.ego.value = ""; load(true);
  });
  window.addEventListener("popstate", function () { window.location.reload(); });
  load(false);
})();
