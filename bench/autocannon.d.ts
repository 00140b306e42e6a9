// The part of autocannon's programmatic interface the benchmark uses; the package ships no types.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
      /** Builds each request as it is sent; a falsy answer restarts the request list. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request | null;
    }

    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      overallRate?: number;
      maxOverallRequests?: number;
      ignoreCoordinatedOmission?: boolean;
      timeout?: number;
      headers?: Record<string, string>;
      requests?: Request[];
    }

    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
      requests: { total: number; average: number };
    }

    interface Instance extends EventEmitter {
      stop(): void;
    }
  }

  function autocannon(
    options: autocannon.Options,
    done: (error: Error | null, result: autocannon.Result) => void,
  ): autocannon.Instance;

  export = autocannon;
}
