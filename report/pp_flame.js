// The script of the flame graph SVG (pp_flame_svg.c), embedded at build
// time: the Makefile turns this file into pp_flame_js.h, a C string,
// leaving out these // lines.  Each frame's <g> carries its unzoomed box
// (data-x, data-w), depth (data-d), colour (data-c) and name (data-n);
// zooming and searching work from these alone, so they commute.  10 and
// 7.3 are PP_FLAME_PAD and PP_FLAME_CHAR, 21 is PP_FLAME_LABEL_MIN.
var F, W, det, mt, sb, rz, cur = '';
function pp_init() {
  var fr = document.getElementById('frames'), l = document.location,
      m = /&s=([^&]*)/.exec('&' + l.search.substring(1) + '&' + l.hash.substring(1));
  F = fr.getElementsByTagName('g');
  W = +document.documentElement.getAttribute('width');
  det = document.getElementById('details');
  mt = document.getElementById('matched');
  sb = document.getElementById('search');
  rz = document.getElementById('reset');
  fr.onmouseover = function (e) {
    var g = pp_g(e);
    if (g) { det.textContent = g.getElementsByTagName('title')[0].textContent; }
  };
  fr.onmouseout = function () { det.textContent = ' '; };
  fr.onclick = function (e) {
    var g = pp_g(e);
    if (g) { pp_zoom(g); }
  };
  if (m) { try { pp_search(decodeURIComponent(m[1])); } catch (x) {} }
}
function pp_g(e) {
  for (var t = e.target; t && t.getAttribute; t = t.parentNode) {
    if (t.getAttribute('class') === 'f') { return t; }
  }
  return null;
}
function pp_a(g, k) { return +g.getAttribute('data-' + k); }
function pp_place(g, x, w, op) {
  var r = g.getElementsByTagName('rect')[0],
      t = g.getElementsByTagName('text')[0],
      n = g.getAttribute('data-n'), k = Math.floor((w - 6) / 7.3);
  g.style.display = op ? '' : 'none';
  if (!op) { return; }
  g.style.opacity = op;
  r.setAttribute('x', x.toFixed(2));
  r.setAttribute('width', w.toFixed(2));
  t.setAttribute('x', (x + 3).toFixed(2));
  t.textContent = w < 21 ? '' : n.length <= k ? n : n.substring(0, k - 2) + '..';
}
function pp_zoom(g) {
  var x = pp_a(g, 'x'), w = pp_a(g, 'w'), d = pp_a(g, 'd'),
      sc = (W - 20) / w, e = 0.01, i, f, fx, fw, fd;
  for (i = 0; i < F.length; i++) {
    f = F[i]; fx = pp_a(f, 'x'); fw = pp_a(f, 'w'); fd = pp_a(f, 'd');
    if (fd < d && fx <= x + e && fx + fw >= x + w - e) {
      pp_place(f, 10, W - 20, 0.5);
    } else if (fd >= d && fx >= x - e && fx + fw <= x + w + e) {
      pp_place(f, 10 + (fx - x) * sc, fw * sc, 1);
    } else { pp_place(f, 0, 0, 0); }
  }
  rz.style.opacity = 1;
}
function pp_reset() {
  for (var i = 0; i < F.length; i++) {
    pp_place(F[i], pp_a(F[i], 'x'), pp_a(F[i], 'w'), 1);
  }
  rz.style.opacity = 0;
}
function pp_search(re) {
  var r = null, m = [], tot = 0, end = 0, i, f, a, b;
  if (re !== '') { try { r = new RegExp(re); } catch (x) { return; } }
  cur = re;
  for (i = 0; i < F.length; i++) {
    f = F[i];
    if (r && r.test(f.getAttribute('data-n'))) {
      f.getElementsByTagName('rect')[0].setAttribute('fill', 'rgb(230,0,230)');
      m.push([pp_a(f, 'x'), pp_a(f, 'w')]);
    } else {
      f.getElementsByTagName('rect')[0].setAttribute('fill', f.getAttribute('data-c'));
    }
  }
  m.sort(function (p, q) { return p[0] - q[0]; });
  for (i = 0; i < m.length; i++) {
    a = Math.max(m[i][0], end); b = m[i][0] + m[i][1];
    if (b > a) { tot += b - a; end = b; }
  }
  mt.textContent = r ? 'Matched: ' + (100 * tot / (W - 20)).toFixed(1) + '%' : '';
  sb.textContent = r ? 'Reset Search' : 'Search';
}
function pp_ask() {
  var t;
  if (cur !== '') { pp_search(''); return; }
  t = prompt('Search (regular expression):', '');
  if (t !== null) { pp_search(t); }
}
