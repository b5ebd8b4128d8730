// The reference BetterAuth 1.4.18 server for the cross-server tests,
// configured like the product's apps/web/lib/auth.ts (30-day sessions
// refreshed daily, cookie cache on, anonymous + passkey plugins, the user's
// additional fields) but on node-postgres instead of Prisma: BetterAuth's
// Kysely adapter uses the same tables and camelCase columns.
//
// Environment: DATABASE_URL, BETTER_AUTH_SECRET, PORT, EMAIL_PASSWORD_ENABLED,
// TRUSTED_ORIGINS (comma-separated). Prints "ready <url>" when listening.
// Run with TZ=UTC: node-postgres writes Dates in local time, Prisma in UTC.
import http from 'node:http';
import pg from 'pg';
import { betterAuth } from 'better-auth';
import { anonymous } from 'better-auth/plugins';
import { toNodeHandler } from 'better-auth/node';
import { passkey } from '@better-auth/passkey';

const port = Number(process.env.PORT);
const baseURL = `http://127.0.0.1:${port}`;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 5 });

export const auth = betterAuth({
  database: pool,
  secret: process.env.BETTER_AUTH_SECRET,
  baseURL,
  trustedOrigins: ['capacitor://localhost', 'http://localhost', baseURL,
    ...(process.env.TRUSTED_ORIGINS || '').split(',').filter(Boolean)],
  session: {
    expiresIn: 60 * 60 * 24 * 30,
    updateAge: 60 * 60 * 24,
    cookieCache: { enabled: true, maxAge: 5 * 60 },
  },
  emailAndPassword: { enabled: process.env.EMAIL_PASSWORD_ENABLED === 'true' },
  user: {
    additionalFields: {
      phoneNumber: { type: 'string', required: false },
      gender: { type: 'string', required: false },
      isAnonymous: { type: 'boolean', required: false },
      role: { type: 'string', required: false, defaultValue: 'USER' },
    },
  },
  plugins: [
    passkey({ rpID: '127.0.0.1', rpName: 'Local', origin: baseURL }),
    anonymous(),
  ],
});

const server = http.createServer(toNodeHandler(auth));
server.listen(port, '127.0.0.1', () => console.log(`ready ${baseURL}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => pool.end().then(() => process.exit(0))));
}
