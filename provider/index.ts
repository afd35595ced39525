// The package's entry point: every component of components/ (the schema analyzer starts here, and the
// plugin loads its compiled form, dist/provider/index.js).
export * from '../components/index.js';
