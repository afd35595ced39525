// virt/apiserver: the virt-api process — admission webhooks, the subresource API, one HTTPS server.
export * from './server.js';
export * from './durations.js';
export * from './admission/admit.js';
export * from './admission/review.js';
export * from './admission/webhooks.js';
export * from './admission/json-patch.js';
