// Mounts the widget on the demo page, with the page-relative URLs of index.html (`/hub`,
// `/api/token`; the client resolves them against the page's location, its worker gets the
// absolute URL). Embedding it in a page of another origin is the same call with absolute URLs to
// the widget's own server (see README, "Embedding the widget").
import { mountBucketWidget } from './widget.js';

const root = /** @type {HTMLElement} */ (document.getElementById('widget'));
const widget = mountBucketWidget(root, {
  endpoint: root.dataset.endpoint ?? '/hub',
  tokenUrl: root.dataset.tokenUrl ?? '/api/token',
  worker: new URLSearchParams(location.search).get('worker') !== 'off',
});
// The widget's handle (its client, state and `idle()`), for the end-to-end tests and the console.
globalThis.bucketWidget = widget;
