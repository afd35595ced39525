// virtctl image-upload.
export { imageUploadCommand } from './image-upload-command.js';
