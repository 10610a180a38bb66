// dash-ag-grid's bundle (1.3 MB, ~50 ms of script on every page load) is fetched when a page first
// draws a grid instead of on every page. This stands in for window.dash_ag_grid until then: Dash's
// renderer resolves a component as window[namespace][type], and the real bundle, once run, sets
// window.dash_ag_grid itself, so later renders get the real AgGrid directly.
(function (src) {
  var React = window.React;
  var loading = null;

  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;  // the bundle finds its lazily loaded chunks next to its own URL
        script.onload = function () { resolve(window.dash_ag_grid.AgGrid); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function AgGrid(props) {
    var loaded = React.useState(null);
    React.useEffect(function () {
      load().then(function (Grid) { loaded[1](function () { return Grid; }); });
    }, []);
    return loaded[0] ? React.createElement(loaded[0], props) : null;
  }

  // Dash waits on this before running a callback whose output is a lazily loaded component.
  Object.defineProperty(AgGrid, "_dashprivate_isLazyComponentReady", {get: load});
  window.dash_ag_grid = {AgGrid: AgGrid};
})(__SRC__);
