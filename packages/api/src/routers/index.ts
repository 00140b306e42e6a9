import { router } from '../trpc/init.js';
import { bookingsRouter } from './bookings.js';
import { catalogueRouter } from './catalogue.js';
import { credentialsRouter } from './credentials.js';
import { patientsRouter } from './patients.js';
import { providersRouter } from './providers.js';

/** Every partner operation, named `noun.verb`, served at /trpc and as REST under /v1. */
export const appRouter = router({
  catalogue: catalogueRouter,
  patients: patientsRouter,
  providers: providersRouter,
  bookings: bookingsRouter,
  credentials: credentialsRouter,
});

export type AppRouter = typeof appRouter;
