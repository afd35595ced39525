// virtctl expose.
export { exposeCommand, selectorOf, serviceFor, type Service } from './expose-command.js';
