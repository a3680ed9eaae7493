// Firebreak SDK for protected Node applications: `import { ... } from 'firebreak/sdk'`.
// Plain ESM with no dependencies beyond Node built-ins; types in index.d.ts.
export { createGuard } from './guard.js';
export { expressGuard } from './express.js';
export { fastifyGuard } from './fastify.js';
export { createReporter } from './reporter.js';
export { canonicalIp } from './ip.js';
