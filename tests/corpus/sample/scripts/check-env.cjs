'use strict';

const required = ['DATABASE_URL'];
const missing = required.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`missing environment: ${missing.join(', ')}`);
  process.exitCode = 1;
} else if (!/^postgres(ql)?:\/\//.test(process.env.DATABASE_URL)) {
  console.error('DATABASE_URL must be a postgresql:// URL');
  process.exitCode = 1;
}

module.exports = { required };
