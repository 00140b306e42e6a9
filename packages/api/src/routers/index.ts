import { router } from '../trpc/init.js';
import { auditRouter } from './audit.js';
import { bookingsRouter } from './bookings.js';
import { catalogueRouter } from './catalogue.js';
import { patientsRouter } from './patients.js';
import { providersRouter } from './providers.js';

/** Every partner operation, named `noun.verb`, served at /trpc and as REST under /v1. */
export const appRouter = router({
  catalogue: catalogueRouter,
  patients: patientsRouter,
  providers: providersRouter,
  bookings: bookingsRouter,
  auditEvents: auditRouter,
});

export type AppRouter = typeof appRouter;
