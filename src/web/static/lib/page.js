// What every page does first: fetch its data endpoint with the page's own query string (the filters live in
// the URL, so links and the back button restore them), then either draw, or say why there is nothing to draw.
import { h } from './dom.js';

/**
 * Loads /api/<page><query> and calls render(data) once the page has data. Every way it can end sets
 * body[data-ready] (true, empty or error), so a page never stays on "Loading…" without saying why.
 */
export async function loadPage(render) {
  const status = document.getElementById('status');
  const content = document.getElementById('content');
  const fail = (...message) => {
    status.hidden = false;
    status.className = 'status error';
    status.replaceChildren(...message);
    content.hidden = true;
    document.body.dataset.ready = 'error';
  };
  const response = await fetchWithRetries(`${document.body.dataset.api}${location.search}`);
  if (!response) {
    fail(...codeSpans('The fintech-etl server cannot be reached. Is `fintech-etl serve` still running?'));
    return;
  }
  if (response.status === 401) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return;
  }
  let data;
  try {
    data = await response.json();
  } catch {
    fail(`The server answered ${response.status} without the page's data. Reload to try again.`);
    return;
  }
  if (!response.ok) {
    fail(
      data.error || `The server answered ${response.status}.`,
      ' ',
      h('a', { href: location.pathname }, 'Reset the filters'),
    );
    return;
  }
  if (data.empty) {
    status.className = 'status empty-state';
    status.replaceChildren(...codeSpans(data.message));
    content.hidden = true;
    document.body.dataset.ready = 'empty';
    return;
  }
  status.hidden = true;
  try {
    render(data);
  } catch (error) {
    fail('This page could not be drawn; the browser console says why.');
    throw error;
  }
  document.body.dataset.ready = 'true';
}

/** Network failures, not answers, are tried again: a server restarting, or a kept-alive socket it just closed. */
const RETRY_DELAYS_MS = [300, 1000];

/** The page's data request, tried again after a network failure; undefined when every try failed. */
async function fetchWithRetries(url) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    } catch {
      if (attempt >= RETRY_DELAYS_MS.length) return undefined;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
    }
  }
}

/** "run `fintech-etl demo`" → text with the command in <code>. */
function codeSpans(message) {
  return message.split('`').map((part, i) => (i % 2 === 1 ? h('code', {}, part) : part));
}

/**
 * Sets the filter form from the filters the server applied (its defaults included) and the choices it offers;
 * a changed select submits at once. Submitting drops empty fields, so URLs stay short.
 */
export function setUpFilters(filters, options = {}) {
  const form = document.querySelector('form.filters');
  if (!form) return;
  for (const [name, values] of Object.entries(options)) {
    const select = form.elements.namedItem(name);
    if (!(select instanceof HTMLSelectElement)) continue;
    for (const value of values) select.append(h('option', { value }, value.replaceAll('_', ' ')));
  }
  for (const [name, value] of Object.entries(filters)) {
    const field = form.elements.namedItem(name);
    if (field && 'value' in field && value !== null && value !== undefined) field.value = String(value);
  }
  form.addEventListener('change', (event) => {
    if (event.target instanceof HTMLSelectElement) form.requestSubmit();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value) !== '' && name !== 'page') query.set(name, String(value));
    }
    const search = query.toString();
    location.assign(`${form.getAttribute('action')}${search ? `?${search}` : ''}`);
  });
}

/** The current URL with some query parameters changed ('' or null removes one). */
export function withQuery(changes) {
  const query = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(changes)) {
    if (value === '' || value === null || value === undefined) query.delete(name);
    else query.set(name, String(value));
  }
  const search = query.toString();
  return `${location.pathname}${search ? `?${search}` : ''}`;
}
