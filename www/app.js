// Mounts the widget on the demo page. Embedding it elsewhere is the same call with absolute URLs
// to the widget's own server (see README, "Embedding the widget").
import { mountBucketWidget } from './widget.js';

const root = document.getElementById('widget');
const widget = mountBucketWidget(root, {
  endpoint: new URL(root.dataset.endpoint, location.href).href,
  tokenUrl: new URL(root.dataset.tokenUrl, location.href).href,
  worker: new URLSearchParams(location.search).get('worker') !== 'off',
});
// For the end-to-end test and the curious: the widget's state and measurements.
globalThis.bucketWidget = widget;
