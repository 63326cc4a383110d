import path = require('node:path');

export = {
  uploadDir: path.resolve(process.env.UPLOAD_DIR ?? './uploads'),
  maxUploadBytes: 512 * 1024 * 1024,
  watermark: { opacity: 0.35, margin: 16 },
};
