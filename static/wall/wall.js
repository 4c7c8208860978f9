// The event wall: polls its feed, spotlights each new poster, drifts the others past in a mosaic strip.
// Made to run for days: a fixed set of elements is reused (no node is added per poster), the feed's answer
// replaces what the wall knows (so what was taken down leaves), and a lost network is retried with backoff
// while the screen keeps showing what it has.
(function () {
  "use strict";
  var root = document.getElementById("wall");
  if (!root) { return; }
  var FEED = root.getAttribute("data-feed");
  var POLL = Number(root.getAttribute("data-poll")) || 2000;
  var SPEED = 26;           // strip drift, px per second at 1080p (scaled with the screen height)
  var HERO_TURN = 9000;     // ms between spotlight changes when nothing new arrives
  var HERO_POOL = 6;        // the spotlight rotates through this many newest posters
  var FRESH_MS = 8000;      // how long a new poster wears its "just made" badge
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var order = [];           // poster ids on the wall, newest first (the feed's answer)
  var src = new Map();      // id -> image URL
  var known = new Set();    // ids already seen (to tell new ones), only those of the last answer
  var fresh = [];           // new ids waiting for the spotlight, oldest first
  var cursor = 0;           // where the strip's next poster comes from in `order`

  // ----------------------------------------------------------------------------- the spotlight (hero)
  var hero = document.getElementById("hero");
  var heroImgs = hero.querySelectorAll("img");
  var heroFront = 0;
  var heroId = null;
  var heroTurn = 0;
  var heroFreshTimer = 0;
  var heroLast = 0;

  function showHero(id, isFresh) {
    if (id && id === heroId) { return; }
    heroLast = Date.now();
    if (!id) {
      heroId = null;
      hero.dataset.id = "";
      heroImgs[heroFront].classList.remove("on");
      hero.classList.add("empty");
      hero.classList.remove("fresh");
      return;
    }
    var back = heroImgs[1 - heroFront];
    var url = src.get(id);
    heroId = id;
    load(back, url, function () {
      if (heroId !== id) { return; }
      hero.dataset.id = id;
      back.classList.add("on");
      heroImgs[heroFront].classList.remove("on");
      heroFront = 1 - heroFront;
      hero.classList.remove("empty");
      clearTimeout(heroFreshTimer);
      hero.classList.toggle("fresh", !!isFresh);
      if (isFresh) { heroFreshTimer = setTimeout(function () { hero.classList.remove("fresh"); }, FRESH_MS); }
    });
  }

  function load(img, url, done) {
    // Decode before showing, so that a cross-fade never shows a half-drawn picture.
    var probe = new Image();
    probe.decoding = "async";
    probe.onload = function () {
      img.src = url;
      (img.decode ? img.decode() : Promise.resolve()).catch(function () {}).then(done);
      probe.onload = probe.onerror = null;
    };
    probe.onerror = function () { probe.onload = probe.onerror = null; };
    probe.src = url;
  }

  function heroTick() {
    if (fresh.length) {
      var id = fresh.shift();
      if (src.has(id)) { showHero(id, true); return; }
    }
    if (heroId && !src.has(heroId)) { heroId = null; }
    if (!order.length) { showHero(null); return; }
    if (!heroId) { showHero(order[0], false); return; }
    if (Date.now() - heroLast < HERO_TURN) { return; }
    heroTurn = (heroTurn + 1) % Math.min(HERO_POOL, order.length);
    showHero(order[heroTurn], false);
  }

  // ----------------------------------------------------------------------------- the drifting strip
  var windowEl = document.querySelector(".strip-window");
  var strip = document.getElementById("strip");
  var template = document.getElementById("column");
  var guard = 0;

  function onScreen() {
    // The posters in sight (the spotlight and the strip's visible tiles): a poster is not shown twice at once,
    // but one that drifted out of sight may come round again.
    var ids = new Set();
    var view = windowEl.getBoundingClientRect();
    if (heroId) { ids.add(heroId); }
    strip.querySelectorAll(".tile").forEach(function (tile) {
      var box = tile.getBoundingClientRect();
      if (tile.dataset.id && box.right > view.left && box.left < view.right) { ids.add(tile.dataset.id); }
    });
    return ids;
  }

  function nextPoster(shown) {
    for (var i = 0; i < order.length; i++) {
      var id = order[(cursor + i) % order.length];
      if (!shown.has(id)) { cursor = (cursor + i + 1) % order.length; return id; }
    }
    return null;
  }

  function fill(tile, id) {
    var img = tile.querySelector("img");
    var before = tile.dataset.id;
    tile.dataset.id = id || "";
    if (before && !src.has(before)) { img.classList.remove("on"); }  // taken down: gone at once
    if (!id) {
      img.classList.remove("on");
      tile.classList.add("empty");
      return;
    }
    load(img, src.get(id), function () {
      if (tile.dataset.id !== id) { return; }
      img.classList.add("on");
      tile.classList.remove("empty");
    });
  }

  function refill(column) {
    var shown = onScreen();
    column.querySelectorAll(".tile").forEach(function (tile) {
      shown.delete(tile.dataset.id);
      var id = nextPoster(shown);
      if (id) { shown.add(id); }
      fill(tile, id);
    });
  }

  function build() {
    // Enough columns to cover the window and one more hidden on the right; an even number keeps the stagger.
    strip.textContent = "";
    var first = template.content.firstElementChild.cloneNode(true);
    strip.appendChild(first);
    var step = first.getBoundingClientRect().width + gapPx();
    var count = Math.ceil(windowEl.clientWidth / step) + 2;
    count += count % 2;
    for (var i = 1; i < count; i++) { strip.appendChild(template.content.firstElementChild.cloneNode(true)); }
    strip.querySelectorAll(".col").forEach(function (col, index) {
      if (index % 2) { col.classList.add("low"); }
      refill(col);
    });
    strip.style.transition = "none";
    strip.style.transform = "translate3d(0,0,0)";
    if (!reduceMotion) { requestAnimationFrame(function () { requestAnimationFrame(drift); }); }
  }

  function gapPx() {
    return parseFloat(getComputedStyle(strip).columnGap) || 0;
  }

  function drift() {
    // One column's width per transition, run by the compositor; at its end the first column moves to the
    // back (out of sight) and the strip snaps back by the same width, which looks exactly the same.
    var first = strip.firstElementChild;
    if (!first) { return; }
    var step = first.getBoundingClientRect().width + gapPx();
    var scale = window.innerHeight / 1080;
    var ms = Math.max(1000, step / (SPEED * scale) * 1000);
    strip.style.transition = "transform " + ms + "ms linear";
    strip.style.transform = "translate3d(" + (-step) + "px,0,0)";
    clearTimeout(guard);
    guard = setTimeout(advance, ms + 1500);  // in case transitionend never comes (hidden tab, zero move)
  }

  function advance() {
    clearTimeout(guard);
    var first = strip.firstElementChild;
    strip.style.transition = "none";
    strip.style.transform = "translate3d(0,0,0)";
    strip.appendChild(first);
    refill(first);
    void strip.offsetWidth;  // apply the snap back before the next transition starts
    drift();
  }

  strip.addEventListener("transitionend", function (event) {
    if (event.target === strip && event.propertyName === "transform") { advance(); }
  });

  // Posters taken off the wall leave at once, wherever they are.
  function sweep() {
    var shown = onScreen();
    strip.querySelectorAll(".tile").forEach(function (tile) {
      var id = tile.dataset.id;
      if (id && !src.has(id)) {
        shown.delete(id);
        var next = nextPoster(shown);
        if (next) { shown.add(next); }
        fill(tile, next);
      } else if (!id && order.length) {
        var more = nextPoster(shown);
        if (more) { shown.add(more); fill(tile, more); }
      }
    });
    if ((heroId && !src.has(heroId)) || (hero.dataset.id && !src.has(hero.dataset.id))) {
      // The spotlight's poster was taken down: fade it out now, then show the next one.
      heroImgs[0].classList.remove("on");
      heroImgs[1].classList.remove("on");
      hero.classList.remove("fresh");
      hero.dataset.id = "";
      heroId = null;
      heroTick();
    }
  }

  // ----------------------------------------------------------------------------- the counter
  var countEl = document.getElementById("count");
  var shownCount = Number(countEl.getAttribute("data-value")) || 0;
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function setCount(target) {
    if (target === shownCount) { return; }
    var from = shownCount;
    var start = performance.now();
    shownCount = target;
    function frame(now) {
      var t = Math.min(1, (now - start) / 900);
      var value = Math.round(from + (target - from) * (1 - Math.pow(1 - t, 3)));
      countEl.textContent = format.format(value);
      if (t < 1 && shownCount === target) { requestAnimationFrame(frame); }
    }
    requestAnimationFrame(frame);
  }

  // ----------------------------------------------------------------------------- the feed
  var offline = document.getElementById("offline");
  var failures = 0;
  var first = true;

  function apply(data) {
    var posters = Array.isArray(data.posters) ? data.posters : [];
    var ids = [];
    src.clear();
    posters.forEach(function (p) { if (p && p.id && p.src) { ids.push(p.id); src.set(p.id, p.src); } });
    var added = ids.filter(function (id) { return !known.has(id); });
    if (!first && added.length) {
      fresh = fresh.concat(added.slice(0, HERO_POOL).reverse());
      cursor = 0;
    }
    fresh = fresh.filter(function (id) { return src.has(id); }).slice(-HERO_POOL);
    known = new Set(ids);
    order = ids;
    if (heroTurn >= order.length) { heroTurn = 0; }
    first = false;
    sweep();
    heroTick();
    if (typeof data.count === "number") { setCount(data.count); }
  }

  function poll() {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, 8000);
    fetch(FEED, { cache: "no-store", credentials: "same-origin", signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (!response.ok) { throw new Error("feed answered " + response.status); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        offline.hidden = true;
        apply(data);
        schedule(POLL);
      })
      .catch(function () {
        failures += 1;
        if (failures >= 2) { offline.hidden = false; }
        var wait = Math.min(30000, POLL * Math.pow(2, failures - 1));
        schedule(wait * (0.75 + Math.random() * 0.5));
      })
      .then(function () { clearTimeout(timer); });
  }

  var pollTimer = 0;
  function schedule(ms) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, ms);
  }

  // Spotlight changes and the first answer come from the page itself, so the wall is complete at once.
  var initial = document.getElementById("first-feed");
  try { apply(JSON.parse(initial.textContent)); } catch (error) { /* the first poll fills it */ }
  initial.remove();
  build();
  setInterval(heroTick, 1000);
  schedule(POLL);
  window.addEventListener("online", function () { schedule(0); });
  var resizeTimer = 0;
  window.addEventListener("resize", function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(build, 300); });
})();
