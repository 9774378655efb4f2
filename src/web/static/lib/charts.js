// ECharts (loaded by the page from /static/vendor, a global) with the app's look: no animation, the app's
// palette and font, HTML tooltips built from escaped text whose colour swatches are CSS classes (the
// Content-Security-Policy forbids inline styles). Every data point carries `shown`, its exact formatted value,
// which is what a tooltip prints.
import { escapeHtml } from './dom.js';

export const PALETTE = [
  '#2563eb',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#8b5cf6',
  '#06b6d4',
  '#f97316',
  '#84cc16',
  '#ec4899',
  '#64748b',
  '#1e3a8a',
  '#b45309',
  '#047857',
  '#991b1b',
  '#5b21b6',
  '#0e7490',
  '#c2410c',
  '#4d7c0f',
  '#9d174d',
  '#334155',
];

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif';

/** Draws `option` into the element with this id; the chart follows the element's size. */
export function makeChart(id, option) {
  const element = document.getElementById(id);
  const chart = echarts.init(element, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    color: PALETTE,
    textStyle: { fontFamily: FONT, color: '#1f2937' },
    grid: { left: 12, right: 24, top: 40, bottom: 12, containLabel: true },
    ...option,
  });
  new ResizeObserver(() => chart.resize()).observe(element);
  return chart;
}

/** A data point: the number ECharts plots and the exact text a tooltip shows. */
export function point(value, shown) {
  return { value, shown };
}

function swatch(color) {
  const index = PALETTE.indexOf(color);
  return index >= 0 ? `<span class="swatch sw-${index}"></span>` : '<span class="swatch"></span>';
}

/** A tooltip listing every series at the hovered axis value, zero and missing values skipped when many. */
export function axisTooltip(title = (label) => label) {
  return {
    trigger: 'axis',
    className: 'chart-tooltip',
    transitionDuration: 0,
    confine: true,
    axisPointer: { type: 'shadow' },
    formatter(params) {
      const list = Array.isArray(params) ? params : [params];
      if (list.length === 0) return '';
      const shown = list.filter(
        (p) => p.data && p.data.shown !== undefined && (list.length < 8 || p.value !== 0),
      );
      const rows = shown
        .map(
          (p) =>
            `<div class="tip-row" data-series="${escapeHtml(p.seriesName)}">${swatch(p.color)}<span class="tip-name">${escapeHtml(p.seriesName)}</span><span class="tip-value">${escapeHtml(p.data.shown)}</span></div>`,
        )
        .join('');
      return `<div class="tip-title">${escapeHtml(title(list[0].axisValue ?? list[0].name))}</div>${rows}`;
    },
  };
}

/** A tooltip for one item (heatmap cell, graph node, pie slice): lines of [label, value]. */
export function itemTooltip(describe) {
  return {
    trigger: 'item',
    className: 'chart-tooltip',
    transitionDuration: 0,
    confine: true,
    formatter(params) {
      const { title, lines } = describe(params);
      const rows = lines
        .map(
          ([label, value]) =>
            `<div class="tip-row" data-series="${escapeHtml(label)}"><span class="tip-name">${escapeHtml(label)}</span><span class="tip-value">${escapeHtml(value)}</span></div>`,
        )
        .join('');
      return `<div class="tip-title">${escapeHtml(title)}</div>${rows}`;
    },
  };
}

/** Centered text over an empty chart. */
export function noData(text = 'No data for these filters') {
  return {
    type: 'text',
    left: 'center',
    top: 'middle',
    style: { text, fill: '#6b7280', fontSize: 14, fontFamily: FONT },
  };
}

/** Short axis labels for ISO dates: "Mar 30". */
export function shortDate(iso) {
  const [, month, dayOfMonth] = iso.split('-');
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${months[Number(month) - 1]} ${Number(dayOfMonth)}`;
}
