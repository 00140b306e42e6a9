import { router } from '../trpc/init.js';
import { auditRouter } from './audit.js';
import { bookingsRouter } from './bookings.js';
import { catalogueRouter } from './catalogue.js';
import { credentialsRouter } from './credentials.js';
import { patientsRouter } from './patients.js';
import { providersRouter } from './providers.js';
import { devicesRouter } from './devices.js';
import { eventsRouter } from './events.js';
import { webhooksRouter } from './webhooks.js';
import { organizationRouter } from './organization.js';
import { signingKeysRouter } from './signing-keys.js';

/** Every partner operation, named `noun.verb`, served at /trpc and as REST under /v1. */
export const appRouter = router({
  catalogue: catalogueRouter,
  patients: patientsRouter,
  providers: providersRouter,
  bookings: bookingsRouter,
  webhookEndpoints: webhooksRouter,
  events: eventsRouter,
  devices: devicesRouter,
  credentials: credentialsRouter,
  organization: organizationRouter,
  signingKeys: signingKeysRouter,
  auditEvents: auditRouter,
});

export type AppRouter = typeof appRouter;
