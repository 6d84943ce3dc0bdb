// 통계: draws the report embedded in the page (#stats-data) with Apache
// ECharts, as a bar, line, area, pie or scatter chart, or shows the tables
// alone (표). The tabs switch without a reload and keep the choice in the
// address and in the filter form.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('stats-data').textContent);
  var box = document.getElementById('chart');
  var chart = null;
  var OUTCOMES = [
    ['answered', '응답', '#2e7d32'],
    ['missed', '부재중', '#c62828'],
    ['voicemail', '음성사서함', '#6a1b9a'],
    ['abandoned', '대기 중 포기', '#ef6c00'],
    ['ivr', 'ARS 종료', '#00838f'],
    ['callback', '콜백 요청', '#5d4037']
  ];
  var labels = data.points.map(function (p) { return p.label; });
  var font = { fontFamily: 'system-ui, "Noto Sans KR", "Malgun Gothic", sans-serif' };

  function minutes(ms) { return Math.round(ms / 600) / 100; }

  function base(extra) {
    var o = {
      textStyle: font,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 48 },
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value', name: '통화 수' }
    };
    for (var k in extra) { o[k] = extra[k]; }
    return o;
  }

  var build = {
    bar: function () {
      return base({
        series: OUTCOMES.map(function (o) {
          return {
            name: o[1], type: 'bar', stack: 'calls', itemStyle: { color: o[2] },
            data: data.points.map(function (p) { return p.figures[o[0]]; })
          };
        })
      });
    },
    line: function () {
      return base({
        series: [
          { name: '전체', type: 'line', data: data.points.map(function (p) { return p.figures.calls; }) },
          { name: '응답', type: 'line', data: data.points.map(function (p) { return p.figures.answered; }) },
          { name: '부재중', type: 'line', data: data.points.map(function (p) { return p.figures.missed; }) }
        ]
      });
    },
    area: function () {
      return base({
        yAxis: { type: 'value', name: '통화시간(분)' },
        series: [{
          name: '총 통화시간(분)', type: 'line', smooth: true, areaStyle: {},
          data: data.points.map(function (p) { return minutes(p.figures.talk_ms); })
        }]
      });
    },
    pie: function () {
      var f = data.subject.figures;
      return {
        textStyle: font,
        tooltip: { trigger: 'item', formatter: '{b}: {c}건 ({d}%)' },
        legend: { top: 0 },
        series: [{
          name: '결과', type: 'pie', radius: ['35%', '70%'], top: 30,
          data: OUTCOMES.filter(function (o) { return f[o[0]] > 0; }).map(function (o) {
            return { name: o[1], value: f[o[0]], itemStyle: { color: o[2] } };
          })
        }]
      };
    },
    scatter: function () {
      return {
        textStyle: font,
        tooltip: {
          trigger: 'item',
          formatter: function (p) {
            return p.data[2] + '<br>통화 ' + p.data[0] + '건, 평균 ' + p.data[1] + '초';
          }
        },
        grid: { left: 64, right: 24, top: 40, bottom: 48 },
        xAxis: { type: 'value', name: '통화 수' },
        yAxis: { type: 'value', name: '평균 통화시간(초)' },
        series: [{
          name: '사용자별', type: 'scatter', symbolSize: 14,
          data: data.users.map(function (u) {
            return [u.figures.calls, Math.round(u.figures.talk_avg_ms / 1000), u.label];
          })
        }]
      };
    }
  };

  function show(kind) {
    box.dataset.chart = kind;
    document.querySelectorAll('.chart-tabs .tab').forEach(function (b) {
      b.classList.toggle('on', b.dataset.chart === kind);
    });
    var input = document.getElementById('chart-input');
    if (input) { input.value = kind; }
    var url = new URL(window.location.href);
    url.searchParams.set('chart', kind);
    window.history.replaceState(null, '', url);
    var exp = document.getElementById('export');
    if (exp) {
      var e = new URL(exp.href, window.location.href);
      e.searchParams.set('chart', kind);
      exp.href = e.pathname + e.search;
    }
    if (kind === 'grid') {
      box.hidden = true;
      document.getElementById('grid').scrollIntoView({ block: 'nearest' });
      return;
    }
    box.hidden = false;
    if (!chart) { chart = window.echarts.init(box, null, { renderer: 'canvas' }); }
    chart.setOption(build[kind](), true);
    chart.resize();
  }

  document.querySelectorAll('.chart-tabs .tab').forEach(function (b) {
    b.addEventListener('click', function () { show(b.dataset.chart); });
  });
  window.addEventListener('resize', function () { if (chart) { chart.resize(); } });
  window.officeStats = {
    show: show,
    option: function () { return chart ? chart.getOption() : null; }
  };
  show(box.dataset.chart || 'bar');
})();
