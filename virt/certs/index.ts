// virt/certs: the stack's certificates — reading TLS Secrets live (every process) and issuing and rotating
// them (the api's leader).
export * from './tls-material.js';
export * from './tls-secret.js';
