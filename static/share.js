// Sharing, as progressive enhancement: the pages work without this file.
// - Elsewhere: the Share button opens the system share sheet (Web Share API) when the browser has one,
//   with the poster itself when files can be shared.
// - Inside WeChat, when the server configured the JS-SDK: sign this page's URL and set the share cards.
(function () {
  "use strict";
  var data = document.getElementById("share-data");
  if (!data) { return; }
  function get(name) { return data.getAttribute("data-" + name) || ""; }

  var button = document.querySelector("[data-share]");
  if (button && navigator.share) {
    var file = null;
    var poster = get("poster");
    if (poster && window.fetch && window.File && navigator.canShare) {
      // The poster is already in the HTTP cache: keep it ready, so the tap opens the sheet at once.
      fetch(poster, { credentials: "same-origin" }).then(function (response) {
        return response.ok ? response.blob() : null;
      }).then(function (blob) {
        if (!blob) { return; }
        var candidate = new File([blob], get("file") || "poster.jpg", { type: blob.type || "image/jpeg" });
        if (navigator.canShare({ files: [candidate] })) { file = candidate; }
      }).catch(function () { /* share the link instead */ });
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var link = { title: get("title"), text: get("desc"), url: get("link") };
      var payload = file ? { files: [file], title: get("title"), text: get("title") + " " + get("link") } : link;
      navigator.share(payload).catch(function (error) {
        if (error && error.name === "AbortError") { return; }
        if (file) {
          navigator.share(link).catch(function () { location.href = button.href; });
        } else {
          location.href = button.href;
        }
      });
    });
  }

  var signUrl = get("sign");
  if (!signUrl) { return; }

  function withSdk(callback) {
    if (window.wx) { callback(); return; }
    var script = document.createElement("script");  // WeChat's documented fallback host
    script.src = "https://res2.wx.qq.com/open/js/jweixin-1.6.0.js";
    script.onload = function () { if (window.wx) { callback(); } };
    document.head.appendChild(script);
  }

  function configure() {
    var request = new XMLHttpRequest();
    request.open("GET", signUrl + "?url=" + encodeURIComponent(location.href.split("#")[0]), true);
    request.onload = function () {
      if (request.status !== 200) { return; }  // no signature: WeChat shows a plain link card
      var config;
      try { config = JSON.parse(request.responseText); } catch (e) { return; }
      var wx = window.wx;
      wx.config({
        debug: false, appId: config.appId, timestamp: config.timestamp, nonceStr: config.nonceStr,
        signature: config.signature, jsApiList: config.jsApiList
      });
      wx.ready(function () {
        wx.updateAppMessageShareData({ title: get("title"), desc: get("desc"), link: get("link"), imgUrl: get("img") });
        wx.updateTimelineShareData({ title: get("title"), link: get("link"), imgUrl: get("img") });
      });
      wx.error(function () { /* keep the plain link card */ });
    };
    request.send();
  }

  withSdk(configure);
})();
