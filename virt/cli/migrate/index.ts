// virtctl migrate, migrate-cancel.
export { migrateCommand } from './migrate-commands.js';
