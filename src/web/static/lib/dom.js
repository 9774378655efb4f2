// Building the DOM from data without HTML strings: text goes in as text, so nothing in the data is markup.

/** h('td', { class: 'num', dataset: { col: 'net' } }, 'text', child, …) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'class') element.className = value;
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces the children of the element with the given id. */
export function fill(id, ...children) {
  const element = document.getElementById(id);
  element.replaceChildren(...children.flat().filter(Boolean));
  return element;
}

/** A paragraph for a section with nothing to show. */
export function emptyNote(text) {
  return h('p', { class: 'empty' }, text);
}

/** A tile's figure; long ones (large amounts) get a smaller font so they stay on one line. */
export function valueText(text) {
  return h('p', { class: text.length > 14 ? 'value long' : 'value' }, text);
}

/** For chart tooltips, which ECharts renders as HTML. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
